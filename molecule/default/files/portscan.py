"""Test tool (default scenario, side_effect.yml): connect() scan of TCP ports of one address.

  portscan.py ADDRESS [FIRST LAST]   prints the open ports, one per line, then "scanned N"
A dropped SYN times out (TIMEOUT seconds), a closed port answers RST at once. The probes start
PACE seconds apart: a burst of thousands of SYNs at once overflows the receiving host's backlog
(net.core.netdev_max_backlog, 1000) and the open ports in it are lost, retransmissions included
(they burst again together).
"""

import asyncio
import sys

TIMEOUT = 1.5
PARALLEL = 2000
PACE = 0.0005


async def probe(addr, port, sem, found):
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(addr, port), TIMEOUT)
    except (TimeoutError, OSError):
        return
    else:
        found.append(port)
        writer.close()
    finally:
        sem.release()


async def main(addr, first, last):
    sem, found, tasks = asyncio.Semaphore(PARALLEL), [], []
    for port in range(first, last + 1):
        await sem.acquire()
        tasks.append(asyncio.create_task(probe(addr, port, sem, found)))
        await asyncio.sleep(PACE)
    await asyncio.gather(*tasks)
    for port in sorted(found):
        print(port)
    print(f"scanned {last - first + 1}")


if __name__ == "__main__":
    a = sys.argv[1:]
    asyncio.run(main(a[0], int(a[1]) if len(a) > 1 else 1, int(a[2]) if len(a) > 2 else 65535))
