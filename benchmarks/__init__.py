"""Benchmark suite (`make bench` / `python -m benchmarks.run`): synthetic releases at scale, the ETL, the
dashboard's queries and the browser, each figure beside a baseline measured in the same run. Not part of
`make test`. Synthetic data live only in temporary folders and never enter data/raw/."""
