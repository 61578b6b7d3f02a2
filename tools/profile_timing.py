"""How tools/profile_model.py spends a GPU's time: how many timed passes a batch size gets, and
whether the next batch size still fits a time limit. Plain arithmetic with no PyTorch, so that
it is tested everywhere (Tests/ProfilesTests/LayerTableTests.swift), not only where PyTorch is.
"""

MIN_REPETITIONS = 10


def repetitions_for(pass_s, repetitions, batch_seconds):
    """Timed passes for one batch size: `repetitions`, or fewer (never under MIN_REPETITIONS)
    where that many passes, timed twice over (end to end, then per layer), would take longer than
    `batch_seconds`. Large batches vary little from pass to pass; the time goes to covering them."""
    if not batch_seconds or pass_s <= 0:
        return repetitions
    fit = int(batch_seconds / (2 * pass_s))
    return max(min(repetitions, fit), min(repetitions, MIN_REPETITIONS))


def next_batch_seconds(setup_s, pass_s, timed_s, reps, repetitions, batch_seconds):
    """A cautious guess at how long the next batch size (twice this one) will take, from how this
    one went. Its set-up (`setup_s`: the input, the warm-up passes and cuDNN's timing of candidate
    algorithms at the real shape) counted twice, as all of it grows with the batch (at batch 1 it
    also holds one-off start-up costs, so the guess for batch 2 runs high); the pass that sets the
    number of timed passes, at twice the pass time; and the timed passes at twice this size's time
    per pass (`timed_s` over `reps`, both kinds), as many as `repetitions_for` will give."""
    next_reps = repetitions_for(2 * pass_s, repetitions, batch_seconds)
    per_pass = timed_s / reps if reps else 2 * pass_s
    return 2 * setup_s + 2 * pass_s + 2 * per_pass * next_reps


def fits(now, deadline, predicted_s):
    """Whether a batch size predicted to take `predicted_s` from `now` ends before `deadline`
    (None: no limit)."""
    return deadline is None or now + predicted_s <= deadline
