"""Alignment and capability evals: MCQA, judged chat, agentic scenarios, capabilities. See evals/README.md."""
