"""Run SQL against a REAL ClickHouse 26 engine (chdb-core, in-process) loaded with a rendered server config.

Test tooling, not a fixture: the engine is ClickHouse itself (clickhouse-local compiled as a library), so what
it accepts or refuses is what ClickHouse accepts or refuses. It has no network listener, no users and no
ZooKeeper (docs/testing.md, "Which engine proves what").

chdb allows one open session (one config) per process, so each ``run`` starts one subprocess that opens
``Session("<data>?config-file=<config.xml>")`` and runs the given steps in order. A step is
``{"sql": "..."}`` (run it, rows back as JSON), ``{"parse": "..."}`` (formatQuery only, nothing runs: statements
that need a listener, users, ON CLUSTER or ZooKeeper), ``{"wait": "<sql>", "until": <json value>, "timeout": s}`` (poll
a bounded time until the first row equals ``until``) or ``{"backup_tool": [argv...]}`` (the role's
clickhouse-backup-tool run against this engine). A failing step does not stop the run: its ``error`` and
ClickHouse ``code`` come back, so a test can require a refusal.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKUP_TOOL = ROOT / "roles" / "clickhouse" / "files" / "clickhouse-backup-tool"
CODE = re.compile(r"Code: (\d+)")


def available():
    """(True, '') when chdb imports here, else (False, why): the tests skip with that reason."""
    if "avx2" not in Path("/proc/cpuinfo").read_text(errors="replace"):
        return False, "chdb-core needs an AVX2 CPU (x86-64-v3)"
    try:
        import chdb  # noqa: F401, PLC0415
    except ImportError as exc:
        return False, f"chdb-core is not installed ({exc}); scripts/bootstrap-venv.sh installs .[test]"
    return True, ""


def run(config, steps, *, data, timeout=120):
    """Run ``steps`` against one engine loaded with ``config`` (a config.xml path, or None for defaults).

    ``data`` is the engine's data directory. Returns {"open_error": str|None, "open_code": int|None,
    "results": [{"rows": [...]} | {"error": str, "code": int|None}, ...], "seconds": float}.
    """
    job = {"config": str(config) if config else None, "data": str(data), "steps": steps}
    proc = subprocess.run(
        [sys.executable, __file__],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=str(data),
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(f"chengine subprocess failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return json.loads(proc.stdout.splitlines()[-1])


def _error(exc):
    text = str(exc)
    found = CODE.search(text)
    return {"error": text[:2000], "code": int(found.group(1)) if found else None}


class _EngineClient:
    """The backup tool's Client interface (query / rows) over the in-process session instead of HTTP."""

    def __init__(self, session, log):
        self.session = session
        self.log = log

    def query(self, sql):
        self.log.append(sql)
        try:
            return self.session.query(sql, "TabSeparated").bytes().decode()
        except Exception as exc:
            raise SystemExit(f"query failed: {sql[:200]}: {str(exc)[:500]}") from exc

    def rows(self, sql):
        return json.loads(self.query(sql + " FORMAT JSON"))["data"]


def _backup_tool(session, argv, data):
    """Run the role's clickhouse-backup-tool (its own code) with its HTTP client swapped for this engine."""
    from role_tools import load_tool  # noqa: PLC0415

    tool = load_tool(str(BACKUP_TOOL.relative_to(ROOT)))
    tool.DATA = str(data)  # the server's <path>: here the engine's data directory
    log = []
    tool.Client = lambda url, user, password: _EngineClient(session, log)
    stdin, sys.stdin = sys.stdin, _Line("test-password\n")
    out, sys.stdout = sys.stdout, _Capture()
    try:
        rc = tool.main(["clickhouse-backup-tool", *argv])
        printed = sys.stdout.text
    except SystemExit as exc:
        return {**_error(exc), "statements": log}
    finally:
        sys.stdin, sys.stdout = stdin, out
    return {"rc": rc, "result": json.loads(printed.strip().splitlines()[-1]), "statements": log}


class _Line:
    def __init__(self, text):
        self.text = text

    def readline(self):
        return self.text


class _Capture:
    def __init__(self):
        self.text = ""

    def write(self, s):
        self.text += s

    def flush(self):
        pass


def _step(session, step, data):
    if "sql" in step:
        out = session.query(step["sql"], "JSONEachRow").bytes().decode()
        lines = [line for line in out.splitlines() if line.strip()]
        try:
            return {"rows": [json.loads(line) for line in lines]}
        except json.JSONDecodeError:  # the statement's own FORMAT clause (e.g. TabSeparated) wins
            return {"rows": [{"text": line} for line in lines]}
    if "parse" in step:
        # formatQuery parses every statement kind (EXPLAIN AST does not take BACKUP/RESTORE) and runs nothing
        quoted = step["parse"].replace("\\", "\\\\").replace("'", "\\'")
        out = session.query(f"SELECT formatQuery('{quoted}')", "TabSeparated").bytes().decode()
        return {"rows": [], "parsed": bool(out.strip())}
    if "wait" in step:
        deadline = time.monotonic() + float(step.get("timeout", 30))
        while True:
            out = session.query(step["wait"], "JSONCompactEachRow").bytes().decode().strip()
            first = json.loads(out.splitlines()[0])[0] if out else None
            if first == step["until"] or time.monotonic() > deadline:
                return {"rows": [first], "waited": first == step["until"]}
            time.sleep(0.5)
    if "backup_tool" in step:
        return _backup_tool(session, step["backup_tool"], data)
    raise ValueError(f"unknown step {step!r}")


def _main():
    job = json.loads(sys.stdin.read())
    started = time.monotonic()
    from chdb import session as chs  # noqa: PLC0415

    data = job["data"].rstrip("/") + "/"
    target = data + (f"?config-file={job['config']}" if job["config"] else "")
    report = {"open_error": None, "open_code": None, "results": []}
    try:
        sess = chs.Session(target)
    except Exception as exc:
        err = _error(exc)
        report.update(open_error=err["error"], open_code=err["code"])
        sess = None
    if sess is not None:
        for step in job["steps"]:
            try:
                report["results"].append(_step(sess, step, data))
            except Exception as exc:
                report["results"].append(_error(exc))
        sess.close()
    report["seconds"] = round(time.monotonic() - started, 3)
    sys.stdout.flush()
    os.write(1, ("\n" + json.dumps(report) + "\n").encode())


if __name__ == "__main__":
    _main()


# --- the SQL the toolkit sends, found in the repository (so a new statement is picked up) ---------------------

SQL_START = re.compile(r"^\s*(SELECT|INSERT|ALTER|CREATE|DROP|BACKUP|RESTORE|OPTIMIZE|SYSTEM|SHOW|TRUNCATE)\b", re.I)


def _tasks(node):
    """Every task dict in a task or play list, through block/rescue/always and plays' tasks."""
    if isinstance(node, list):
        for item in node:
            yield from _tasks(item)
    elif isinstance(node, dict):
        yield node
        for key in ("block", "rescue", "always", "tasks", "pre_tasks", "post_tasks", "handlers"):
            if isinstance(node.get(key), list):
                yield from _tasks(node[key])


def uri_statements(root=ROOT):
    """[(file:task name, sql template)] for every ansible uri call to ClickHouse under roles/ and playbooks/.

    The SQL is the POST body, or the url's ``query=`` parameter. Templates stay Jinja: render them with
    ``render``.
    """
    import urllib.parse  # noqa: PLC0415

    import yaml  # noqa: PLC0415

    found = []
    files = sorted(
        [*root.glob("roles/*/tasks/*.yml"), *root.glob("roles/*/handlers/*.yml"), *root.glob("playbooks/*.yml")]
    )
    for path in files:
        for task in _tasks(yaml.safe_load(path.read_text()) or []):
            args = task.get("ansible.builtin.uri") or task.get("uri")
            if not isinstance(args, dict) or "clickhouse" not in str(args.get("url", "")):
                continue
            where = f"{path.relative_to(root)}:{task.get('name', '?')}"
            body = args.get("body")
            if isinstance(body, str) and SQL_START.match(body):
                found.append((where, body.strip()))
            url = str(args["url"])
            if "query=" in url:
                found.append((where, urllib.parse.unquote_plus(url.split("query=", 1)[1].split("&", 1)[0])))
    return found


def render(template, values):
    """Render a statement's Jinja with test values; an unknown variable fails (add its test value)."""
    import jinja2  # noqa: PLC0415

    return jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(template).render(values)


def tool_statements(values):
    """[(line, regex, example)] for every literal SQL the backup tool passes to client.query / client.rows.

    regex matches the statements that line sends (to find them among the statements a real run sent);
    example is the statement with test ``values`` (keyed by the source text of each {...} field) put in, for a
    parse-only check of the statements a 26.x run does not send (the 18.x FREEZE path, replica waits).
    """
    import ast  # noqa: PLC0415

    tree = ast.parse(BACKUP_TOOL.read_text())
    out = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in ("query", "rows") or not node.args:
            continue
        arg = node.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            out.append((node.lineno, re.escape(arg.value) + r"( FORMAT JSON)?", arg.value))
        elif isinstance(arg, ast.JoinedStr):
            regex, example = "", ""
            for part in arg.values:
                if isinstance(part, ast.Constant):
                    regex += re.escape(part.value)
                    example += part.value
                else:
                    source = ast.unparse(part.value)
                    if source not in values:
                        raise KeyError(f"clickhouse-backup-tool line {node.lineno}: no test value for {{{source}}}")
                    regex += ".+?"
                    example += values[source]
            out.append((node.lineno, regex + r"( FORMAT JSON)?", example))
    return out
