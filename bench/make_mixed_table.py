#!/usr/bin/env python3
"""Writes a seeded mixed table for reading benchmarks: numeric, categorical (low and high cardinality), boolean, missing cells."""
import random
import sys


def main():
    path, rows = sys.argv[1], int(sys.argv[2])
    rng = random.Random(18)
    homes = ["rent", "owner", "parents", "priv", "other"]
    jobs = ["fixed", "partime", "freelance", "others"]
    cities = [f"city{i}" for i in range(500)]
    with open(path, "w") as f:
        f.write("status,home,job,city,records," + ",".join(f"x{i}" for i in range(12)) + ",income,assets\n")
        for _ in range(rows):
            xs = ",".join(f"{rng.gauss(0, 1):.4f}" for _ in range(12))
            income = "" if rng.random() < 0.1 else f"{rng.gauss(130, 50):.0f}"
            assets = "NA" if rng.random() < 0.08 else f"{rng.expovariate(1 / 5000):.0f}"
            f.write(f"{'bad' if rng.random() < 0.08 else 'good'},{rng.choice(homes)},{rng.choice(jobs)},"
                    f"{rng.choice(cities)},{'true' if rng.random() < 0.2 else 'false'},{xs},{income},{assets}\n")


if __name__ == "__main__":
    main()
