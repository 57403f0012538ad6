"""A scene of your own: the prompt's tokens, then the tokens the model finds most likely next."""

from manim import DOWN, LEFT, UP, FadeIn, GrowFromEdge, Indicate, LaggedStart

from scenes.base import TraceScene
from scenes.components import ProbabilityBars, TokenRow, label


class NextTokenGuess(TraceScene):
    """The prompt as tokens, and the five most likely next tokens with their probabilities."""

    # Its metadata, read from this file without running it (all optional; a lecture's [titles] overrides TITLE):
    TITLE = "What comes next"  # the chapter's title in lecture.mp4 and the handout
    SUMMARY = "The prompt's tokens and the five likeliest next tokens."
    USES_TEMPERATURE = True  # it shows the continuation, sampled at T: drawn again when T changes
    SECTIONS = ()  # it shows neither the chatbot's reply nor the learning record (not given: both are made)
    READS = ()  # nor the top-k/top-p cut nor the other context (not given: drawn again when they change)

    def construct(self):
        self.show_tokens()
        self.show_guesses()

    def show_tokens(self):
        tokens = self.trace.fields.info.tokens  # every value below comes from the Trace, read with its path
        self.tokens = TokenRow(tokens.display, max_width=11).to_edge(UP, buff=0.7)
        with self.narrate("Here is the prompt, cut into the tokens the model reads.", title="Tokens",
                          caption="The prompt as the model reads it: {n} tokens.", n=(tokens.ids, "len")) as n:  # fmt: skip
            # The tokens come in one by one for as long as the sentence lasts.
            self.play(LaggedStart(*(FadeIn(box) for box in self.tokens.boxes), lag_ratio=0.3), run_time=n.duration)

    def show_guesses(self):
        step = "info.continuation.steps.0"
        top = self.trace.info["continuation"]["steps"][0]["top"][:5]
        entries = [{"display": e["display"], "prob": e["prob"], "token_path": f"{step}.top.{j}.display",
                    "prob_path": f"{step}.top.{j}.prob"} for j, e in enumerate(top)]  # fmt: skip
        bars = ProbabilityBars(entries, bar_width=4.5).next_to(self.tokens, DOWN, buff=0.8)
        heading = label("next token", size=22).next_to(bars, UP, buff=0.25)
        with self.narrate("These are the five tokens the model finds most likely to come next. The first one is "
                          "its best guess.", title="Guesses", caption="At temperature {T}, the five most likely "
                          "next tokens.", T=(self.trace.info["continuation"]["temperature"],
                                             "info.continuation.temperature", "float")) as n:  # fmt: skip
            # The bars grow over the first sentence; the best guess is marked as the second one is said.
            self.play(FadeIn(heading), LaggedStart(*(GrowFromEdge(row.bar, LEFT) for row in bars.rows),
                      lag_ratio=0.15), *(FadeIn(row.name) for row in bars.rows),
                      *(FadeIn(row.pct) for row in bars.rows), FadeIn(bars.dots), run_time=n.left(0))  # fmt: skip
            n.wait_for(1)
            self.play(Indicate(bars.rows[0], scale_factor=1.1), run_time=n.left(1))
        self.wait(1)
