"""Parallelism: the device mesh, logical-axis rules and placement (sharding.py), and multi-process start-up
(distributed.py)."""
