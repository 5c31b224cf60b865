"""`make stories`, step two: recorded trackers (JSON) → Rasa test stories (YAML), with
Rasa's own story writer, so `rasa test core` replays the scripted conversations and fails
when the trained model would read any turn (the user's own text, `--e2e`) or answer it differently.
Rasa reads test stories only from files named `test_*.yml`."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


def main() -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.core.training_data.story_writer.yaml_story_writer import YAMLStoryWriter

    trackers_dir, target = Path(sys.argv[1]), Path(sys.argv[2])
    domain = Domain.load("bot/domain.yml")
    steps = []
    for path in sorted(trackers_dir.glob("*.json")):
        tracker = DialogueStateTracker.from_dict(path.stem, json.loads(path.read_text())["events"], domain.slots)
        story = tracker.as_story()
        for step in story.story_steps:
            step.block_name = path.stem
        steps += story.story_steps
    target.parent.mkdir(parents=True, exist_ok=True)
    header = "# Recorded by `make stories` from tests/e2e/conversations.py; review changes before committing.\n"
    target.write_text(header + YAMLStoryWriter().dumps(steps, is_test_story=True), encoding="utf-8")
    print(f"{len(steps)} stories → {target}")


if __name__ == "__main__":
    main()
