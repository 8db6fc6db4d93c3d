"""The study: the stages main.py runs (stages.py and one module per kind of stage), wired from the core library,
`rl` and `evals`; and the report that compares arms (report/). The only code that imports all three."""
