"""Relais performance figures: `make bench` (= `python -m bench.run`) prints them side by side."""
