# The two commands of the README. Both set everything up first (fast when nothing changed).
.PHONY: lecture test setup

lecture: setup
	.venv/bin/gptanim render
	.venv/bin/gptanim slides

test: setup
	.venv/bin/python -m pytest -q

setup:
	bash scripts/setup.sh
