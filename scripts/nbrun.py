"""Run Jupyter notebooks on the Deno kernel; the Python half of `deno task nb` (scripts/nb.ts).

Needs only jupyter_client. One kernel per notebook, started in the notebook's folder (as
Jupyter does, so Deno finds the project's deno.json). Cells run in order; the first failing
cell stops its notebook. A cell fails when it raises, runs past --timeout, kills the kernel,
or is tagged "figure" (cell metadata tags) and shows no image/svg+xml, image/png or
application/vnd.vegalite.* output.

Late outputs: Deno's kernel can publish a cell's outputs after its "idle" status (timers,
un-awaited display calls), which `nbconvert --execute` drops. After idle we keep reading until
the cell's iopub messages have been quiet for --grace seconds.

With --events, progress goes to stdout as it happens, one line per event: EVENT_PREFIX and a
JSON object with "event" ("start", "cell" after each cell that passed, "end"), "notebook" (its
path), "cells" (code cells) and, after the start, "done" (code cells run) and "seconds" (of that
cell, or the notebook's at the end); the end has "failure" (null when every cell passed).

Exit status: 0 all passed, 1 a notebook failed, 2 bad arguments or no kernel.
"""

import argparse
import json
import os
import queue
import re
import sys
import tempfile
import time

from jupyter_client.manager import KernelManager

FIGURE_TAG = "figure"
FIGURE_MIMES = ("image/svg+xml", "image/png")
VEGALITE_PREFIX = "application/vnd.vegalite."
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
EVENT_PREFIX = "@yoto-nb "


def event(args, **fields):
    """A progress event on stdout (--events), at once."""
    if args.events:
        print(EVENT_PREFIX + json.dumps(fields), flush=True)


class CellFailure(Exception):
    """A cell that failed; `detail` is the traceback, `outputs` what the cell showed."""

    def __init__(self, reason, detail="", outputs=None):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.outputs = outputs


def text(value):
    """Notebook fields are a string or a list of lines."""
    return "".join(value) if isinstance(value, list) else value


class Outputs:
    """A cell's outputs in nbformat 4 shape, built from iopub messages."""

    def __init__(self):
        self.items = []
        self.clear_pending = False

    def add(self, msg_type, content):
        if msg_type == "clear_output":
            if content.get("wait"):
                self.clear_pending = True
            else:
                self.items = []
            return
        if msg_type == "update_display_data":
            display_id = content.get("transient", {}).get("display_id")
            for item in self.items:
                if display_id and item.get("_display_id") == display_id:
                    item["data"], item["metadata"] = content["data"], content.get("metadata", {})
            return
        if self.clear_pending:
            self.items, self.clear_pending = [], False
        if msg_type == "stream":
            last = self.items[-1] if self.items else None
            if last and last["output_type"] == "stream" and last["name"] == content["name"]:
                last["text"] += content["text"]
            else:
                self.items.append({"output_type": "stream", "name": content["name"],
                                   "text": content["text"]})
        elif msg_type in ("execute_result", "display_data"):
            item = {"output_type": msg_type, "data": content["data"],
                    "metadata": content.get("metadata", {})}
            if msg_type == "execute_result":
                item["execution_count"] = content.get("execution_count")
            display_id = content.get("transient", {}).get("display_id")
            if display_id:
                item["_display_id"] = display_id
            self.items.append(item)
        elif msg_type == "error":
            self.items.append({"output_type": "error", "ename": content["ename"],
                               "evalue": content["evalue"], "traceback": content["traceback"]})

    def nbformat(self):
        return [{k: v for k, v in item.items() if not k.startswith("_")} for item in self.items]

    def has_figure(self):
        return any(mime in FIGURE_MIMES or mime.startswith(VEGALITE_PREFIX)
                   for item in self.items for mime in item.get("data", {}))


def run_cell(km, kc, code, timeout, grace):
    """Execute `code`; return (outputs, execution_count) or raise CellFailure."""
    msg_id = kc.execute(code, store_history=True, allow_stdin=False)
    deadline = time.monotonic() + timeout
    quiet_until = None  # set once the kernel reports idle
    outputs = Outputs()
    count = None
    while True:
        now = time.monotonic()
        if quiet_until is not None and now >= quiet_until:
            break
        if now >= deadline:
            what = "kept publishing output" if quiet_until else "did not finish"
            raise CellFailure(f"timed out: {what} within {timeout:g} s", outputs=outputs)
        wait = min(deadline, quiet_until or deadline) - now
        try:
            msg = kc.get_iopub_msg(timeout=min(wait, 1.0))
        except queue.Empty:
            if not km.is_alive():
                raise CellFailure("the kernel died", outputs=outputs)
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status":
            if content["execution_state"] == "idle":
                quiet_until = time.monotonic() + grace
                deadline = max(deadline, quiet_until)  # finishing near the deadline is no timeout
            continue
        if kind == "execute_input":
            count = content.get("execution_count")
        outputs.add(kind, content)
        if quiet_until is not None:  # a late output: listen for another quiet period
            quiet_until = time.monotonic() + grace
    reply = shell_reply(kc, msg_id, deadline)
    errors = [o for o in outputs.items if o["output_type"] == "error"]
    if errors or reply.get("status") == "error":
        err = errors[0] if errors else reply
        trace = "\n".join(err.get("traceback") or [f"{err.get('ename')}: {err.get('evalue')}"])
        raise CellFailure(f"{err.get('ename')}: {err.get('evalue')}", ANSI.sub("", trace), outputs)
    return outputs, reply.get("execution_count", count)


def shell_reply(kc, msg_id, deadline):
    while True:
        try:
            msg = kc.get_shell_msg(timeout=max(deadline - time.monotonic(), 5.0))
        except queue.Empty:
            raise CellFailure("no execute_reply from the kernel")
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg["content"]


def run_notebook(path, args, out_path):
    """Run one notebook; return (code cells run, code cells, seconds, failure message or None)."""
    start = time.monotonic()
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    cells = nb.get("cells", [])
    n_code = sum(cell["cell_type"] == "code" for cell in cells)
    ran = 0
    failure = None
    env = dict(os.environ, NO_COLOR="1")  # plain text/plain results and tracebacks
    log = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")
    km = KernelManager(kernel_name=args.kernel)
    event(args, event="start", notebook=path, cells=n_code)
    try:
        km.start_kernel(cwd=os.path.dirname(os.path.abspath(path)), env=env, stdout=log,
                        stderr=log)
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=args.startup_timeout)
            for index, cell in enumerate(cells, start=1):
                if cell["cell_type"] != "code":
                    continue
                source = text(cell["source"])
                cell_start = time.monotonic()
                try:
                    outputs, count = run_cell(km, kc, source, args.timeout, args.grace)
                    tags = cell.get("metadata", {}).get("tags", [])
                    if FIGURE_TAG in tags and not outputs.has_figure():
                        raise CellFailure(
                            f'tagged "{FIGURE_TAG}" but no {", ".join(FIGURE_MIMES)} or '
                            f"{VEGALITE_PREFIX}* output", outputs=outputs)
                except CellFailure as e:
                    if e.outputs:  # kept in the executed copy, to read the failure there
                        cell["outputs"] = e.outputs.nbformat()
                    failure = f"cell {index}: {e.reason}"
                    report(path, f"cell {index}", source, e, None if km.is_alive() else log)
                    break
                ran += 1
                cell["outputs"], cell["execution_count"] = outputs.nbformat(), count
                event(args, event="cell", notebook=path, cells=n_code, done=ran, cell=index,
                      seconds=round(time.monotonic() - cell_start, 3))
        finally:
            kc.stop_channels()
    except (RuntimeError, OSError, KeyError) as e:  # the kernel did not start or answer
        failure = f"kernel: {e}"
        report(path, "kernel", "", CellFailure(str(e)), log)
    finally:
        if km.has_kernel:
            km.shutdown_kernel(now=True)
        log.close()
    if out_path:  # atomically, under the temporary name yoto's atomic writes use
        head, name = os.path.split(out_path)
        tmp = os.path.join(head, f".{name}.tmp-{os.getpid()}")
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(nb, f, indent=1, ensure_ascii=False)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, out_path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    seconds = time.monotonic() - start
    event(args, event="end", notebook=path, cells=n_code, done=ran, seconds=round(seconds, 3),
          failure=failure)
    return ran, n_code, seconds, failure


def report(path, where, source, failure, log):
    """Print a failure: the source's first lines, the traceback, the kernel's log if it died."""
    lines = source.splitlines()
    print(f"\nFAILED {path} {where}: {failure.reason}", file=sys.stderr)
    if lines:
        print(indented("source", lines[:8] + (["..."] if len(lines) > 8 else [])), file=sys.stderr)
    if failure.detail:
        print(indented("traceback", failure.detail.splitlines()), file=sys.stderr)
    if log:
        log.seek(0)
        tail = log.read()[-2000:].strip()
        if tail:
            print(indented("kernel log", tail.splitlines()), file=sys.stderr)


def indented(title, lines):
    return f"  {title}:\n" + "\n".join("    " + line for line in lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--kernel", default="deno-yoto", help="kernelspec name")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per cell")
    parser.add_argument("--grace", type=float, default=0.5,
                        help="seconds of quiet after idle before a cell counts as done")
    parser.add_argument("--startup-timeout", type=float, default=60)
    parser.add_argument("--out", help="folder for executed copies")
    parser.add_argument("--events", action="store_true", help="progress events on stdout")
    args = parser.parse_args()

    outs = {}
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        for path in args.notebooks:
            dest = os.path.join(args.out, os.path.basename(path))
            if os.path.exists(dest) and os.path.samefile(dest, path):
                print(f"error: --out {args.out} would overwrite {path}; pick another folder",
                      file=sys.stderr)
                return 2
            outs[path] = dest

    rows = []
    for path in args.notebooks:
        ran, n_code, seconds, failure = run_notebook(path, args, outs.get(path))
        rows.append((path, f"{ran}/{n_code}", f"{seconds:.1f}", f"FAILED {failure}"
                     if failure else "ok"))
    width = max(len("notebook"), *(len(r[0]) for r in rows))
    print(f"\n{'notebook':<{width}}  {'cells':>7}  {'seconds':>7}  status")
    for path, cells, seconds, status in rows:
        print(f"{path:<{width}}  {cells:>7}  {seconds:>7}  {status}")
    if args.out:
        print(f"executed copies in {args.out}")
    return 1 if any(r[3] != "ok" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
