# The two commands of the README. Both set everything up first (fast when nothing changed).
.PHONY: lecture test setup stills

lecture: setup
	.venv/bin/gptanim render
	.venv/bin/gptanim slides

test: setup
	.venv/bin/python -m pytest -q -n 2 --dist loadfile

setup:
	bash scripts/setup.sh

# The README's stills (docs/stills/): the last frames of three scenes at 1280×720 with the embedded model,
# rendered silently into renders/stills/ and copied over the old ones.
STILLS = PredictSampleRepeat InsideTransformer EmbeddingSpace
stills: setup
	rm -rf renders/stills
	.venv/bin/gptanim render --scenes $(shell echo $(STILLS) | tr ' ' ',') -q m --voice none --out renders/stills
	for s in $(STILLS); do cp renders/stills/*/[0-9][0-9]-$$s.png docs/stills/$$s.png; done
