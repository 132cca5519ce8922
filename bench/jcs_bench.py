"""What RFC 8785 costs per append: canonical_json against json.dumps and the rfc8785 package.

    .venv/bin/python bench/jcs_bench.py

Renders the data of realistic events (the Doha example's bodies, with and without floats) and
prints the median time per render of each, and the ratios.
"""

from __future__ import annotations

import json
import statistics
import timeit
from pathlib import Path

import rfc8785

from service.log.jcs import canonical_json

EXAMPLE = Path(__file__).parents[1] / "examples" / "nato-afghanistan-2021.json"


def _plain(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _median_us(render: object, values: list[object], rounds: int = 7) -> float:
    per_round = timeit.repeat(
        lambda: [render(v) for v in values],  # type: ignore[operator]
        number=200,
        repeat=rounds,
    )
    return statistics.median(per_round) / (200 * len(values)) * 1e6


def main() -> None:
    scenario = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    bodies = [item for section in scenario.values() for item in section]
    with_floats = [{**b, "measure": {"target": 1.5, "tolerance": 1e-7}} for b in bodies]
    print(f"{len(bodies)} bodies of the example, median microseconds per render")
    for label, values in (("without floats", bodies), ("with floats", with_floats)):
        plain = _median_us(_plain, values)
        ours = _median_us(canonical_json, values)
        package = _median_us(rfc8785.dumps, values)
        print(
            f"{label:15} json.dumps {plain:6.1f}  canonical_json {ours:6.1f}"
            f" ({ours / plain:.1f}x)  rfc8785 {package:6.1f} ({package / plain:.1f}x)"
        )


if __name__ == "__main__":
    main()
