"""The bound for tests that feed hostile text to code that scans customer text.

Not a speed target (benchmarks measure speed): a backtracking regex or a quadratic
loop takes minutes to hours on those texts, linear work milliseconds, so only a
blow-up fails this bound, never a busy machine (bounds of 1 s failed at 1.12 s while
other jobs shared the two cores).
"""

LINEAR_BOUND_SECONDS = 10.0
