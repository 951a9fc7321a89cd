"""Executes dlkit's notebooks headless with the dlkit-kotlin kernel.

    execute.py NOTEBOOK...           run each notebook and write its outputs back (what gets committed)
    execute.py --check NOTEBOOK...   run each and compare with the committed file: same cells, same sources, and in
                                     every cell the same kinds of output (stream / result / image), so committed
                                     outputs cannot fall behind the code they show

A cell that fails stops the run (the kernel reports errors in its execute reply; nbclient raises on them), and so does
any cell whose output mentions an exception, since this kernel also prints failures as plain stream text.
"""
import copy
import sys
import time

import nbclient
import nbformat

ERROR_MARKERS = ("Exception:", "Error:", "ReplCompilerException", "Unresolved reference")


def shape(nb):
    """Per code cell: its source and the kinds of output it produced (text sizes vary from run to run)."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kinds = []
        for o in cell.get("outputs", []):
            if o["output_type"] == "stream":
                kinds.append("stream")
            else:
                kinds.append(o["output_type"] + ":" + ",".join(sorted(o.get("data", {}).keys())))
        # Consecutive stream chunks are one stream, however the kernel split them.
        merged = [k for i, k in enumerate(kinds) if not (k == "stream" and i > 0 and kinds[i - 1] == "stream")]
        out.append((cell.source, merged))
    return out


def merge_streams(outputs):
    """The kernel sends stdout in many small messages; one output per run of the same stream reads (and diffs) better."""
    merged = []
    for o in outputs:
        if o["output_type"] == "stream" and merged and merged[-1]["output_type"] == "stream" and merged[-1]["name"] == o["name"]:
            merged[-1]["text"] += o["text"]
        else:
            merged.append(o)
    return merged


def run(path, check):
    nb = nbformat.read(path, as_version=4)
    work = copy.deepcopy(nb)
    start = time.time()
    client = nbclient.NotebookClient(work, kernel_name="dlkit-kotlin", timeout=900, allow_errors=False,
                                     resources={"metadata": {"path": str(__import__("pathlib").Path(path).parent)}})
    client.execute()
    for i, cell in enumerate(work.cells):
        for o in cell.get("outputs", []):
            text = o.get("text", "") if o["output_type"] == "stream" else ""
            if o["output_type"] == "error" or any(m in text for m in ERROR_MARKERS):
                raise SystemExit(f"{path}: cell {i} failed:\n{text or o}")
    took = time.time() - start
    for cell in work.cells:
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
    if check:
        if shape(work) != shape(nb):
            for (src_a, a), (src_b, b) in zip(shape(nb), shape(work)):
                if (src_a, a) != (src_b, b):
                    raise SystemExit(f"{path}: committed outputs are stale at cell\n{src_a}\ncommitted {a}, now {b};"
                                     " re-run notebooks/run --write and commit")
            raise SystemExit(f"{path}: committed outputs are stale (cell count differs); re-run notebooks/run --write")
        print(f"{path}: OK ({took:.0f} s, outputs match the committed ones)")
    else:
        nbformat.write(work, path)
        print(f"{path}: executed in {took:.0f} s, outputs written")


def main(args):
    check = "--check" in args
    paths = [a for a in args if not a.startswith("--")]
    for p in paths:
        run(p, check)


if __name__ == "__main__":
    main(sys.argv[1:])
