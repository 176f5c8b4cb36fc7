"""`python -m tests.bench`: the performance and cost bench (see README, "Performance").

The monitor runs in a fresh subprocess per size against a loopback Bright Data simulator and a moto server,
each in a process of its own, so the wall time and peak memory measured are the monitor's alone.
"""
