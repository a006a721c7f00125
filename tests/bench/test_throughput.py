"""The throughput benchmark compares like with like: its plain SpiffWorkflow side drives the
enforcement diagram through the same steps as the engine side, to the end."""
from __future__ import annotations

from bench.throughput import PlainSpiff, complete_cases


def test_plain_spiffworkflow_completes_the_same_steps_as_the_engine(ctx):
    engine_done, _, _ = complete_cases(ctx, 1)
    spiff_done, _, _ = PlainSpiff(ctx).run(1)

    assert engine_done == spiff_done
    assert engine_done >= 10  # the whole pipeline, lead to closing, not its first step


def test_reading_each_task_page_first_completes_the_same_steps(ctx):
    assert complete_cases(ctx, 1, page_view=True)[0] == complete_cases(ctx, 1)[0]
