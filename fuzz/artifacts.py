"""Finding artifacts: one directory per finding, replayable with one command.

Each directory holds ``finding.json`` (the finding as a value), ``requests.sh``
(the requests as cURL commands against a live server), ``hypothesis.txt`` (seed
and ``@reproduce_failure`` blob when Hypothesis printed one) and
``test_replay_<digest>.py``, a standalone pytest file that re-runs the property's input with
its oracle (:mod:`fuzz.replay`) and fails while the violation is still there::

    pytest fuzz-artifacts/<dir>/test_replay_<digest>.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fuzz.findings import Finding
from targets.transcript import curl_script

REPLAY_TEMPLATE = '''"""Replay of finding {digest}: [{property_id}] {message_literal}

Found by {nodeid_literal}. Run from the aksara-fuzz checkout:

    pytest {relpath}

It re-runs the property's input (finding.json, "replay") on the installed Aksara with the
property's own oracle: it fails while the violation is there (saying whether its cause is the
same) and passes once it is gone.
"""

from pathlib import Path

from fuzz.replay import replay_artifact


def test_replay_{digest}(request):
    replay_artifact(Path(__file__).parent, request)
'''


def hypothesis_lines(text: str) -> list[str]:
    """The seed and reproduce-failure lines Hypothesis printed for a failing test."""
    wanted = re.compile(r"(@reproduce_failure\([^)]*\)|--hypothesis-seed=\S+|Falsifying example:.*)")
    return list(dict.fromkeys(m.group(0) for m in wanted.finditer(text)))


def read_finding(directory: Path) -> Finding:
    """The finding an artifact directory holds (its ``finding.json``)."""
    return Finding.from_json(json.loads((Path(directory) / "finding.json").read_text(encoding="utf-8")))


def write_artifact(root: Path, finding: Finding, nodeid: str, hypothesis_text: str = "",
                   meta: dict[str, Any] | None = None) -> Path:
    digest = finding.digest()
    safe_property = re.sub(r"[^\w.-]", "_", finding.property_id)
    directory = root / f"{safe_property}-{digest}"
    directory.mkdir(parents=True, exist_ok=True)
    payload = finding.to_json()
    payload["nodeid"] = nodeid
    payload["meta"] = meta or {}
    (directory / "finding.json").write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    if finding.exchanges:
        (directory / "requests.sh").write_text(curl_script(list(finding.exchanges)), encoding="utf-8")
    lines = hypothesis_lines(hypothesis_text)
    (directory / "hypothesis.txt").write_text(
        "\n".join(lines or ["(Hypothesis printed no seed or blob for this finding)"]) + "\n", encoding="utf-8"
    )
    test_file = directory / f"test_replay_{digest}.py"
    try:
        relpath = test_file.relative_to(Path.cwd())
    except ValueError:
        relpath = test_file
    test_file.write_text(
        REPLAY_TEMPLATE.format(
            digest=digest,
            property_id=finding.property_id,
            message_literal=finding.message.replace('"""', "'''").replace("\\", "\\\\")[:200],
            nodeid_literal=nodeid.replace('"""', "'''").replace("\\", "\\\\"),
            relpath=relpath,
        ),
        encoding="utf-8",
    )
    return directory
