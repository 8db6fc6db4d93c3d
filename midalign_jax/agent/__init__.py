"""The agent tool protocol: how an agent calls a tool in text (`<call>{json}</call>`), the six tools and their
arguments, the system turn that introduces them, and the in-memory sandbox that answers the calls.

The agentic evals (evals/agentic) score episodes played in this sandbox; the world generator writes its training
episodes through the same code, so a model is taught exactly the format it is tested in.
"""
