"""Test tool (secure_link scenario): connect() scan of TCP ports of one address.

  portscan.py ADDRESS [FIRST LAST]   prints the open ports, one per line, then "scanned N"
A dropped SYN times out (TIMEOUT seconds), a closed port answers RST at once.
"""

import asyncio
import sys

TIMEOUT = 1.5
PARALLEL = 2000


async def probe(addr, port, sem, found):
    async with sem:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(addr, port), TIMEOUT)
        except (TimeoutError, OSError):
            return
        found.append(port)
        writer.close()


async def main(addr, first, last):
    sem, found = asyncio.Semaphore(PARALLEL), []
    await asyncio.gather(*(probe(addr, p, sem, found) for p in range(first, last + 1)))
    for port in sorted(found):
        print(port)
    print(f"scanned {last - first + 1}")


if __name__ == "__main__":
    a = sys.argv[1:]
    asyncio.run(main(a[0], int(a[1]) if len(a) > 1 else 1, int(a[2]) if len(a) > 2 else 65535))
