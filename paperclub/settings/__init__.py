# Settings modules: base.py (every process, from the environment) and test.py.
