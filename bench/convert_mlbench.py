#!/usr/bin/env python3
"""Converts three real tables from Debian's r-cran-mlbench to the CSV fixtures in tests/fixtures/tables/.

Run once (the CSVs are committed): /usr/bin/python3 bench/convert_mlbench.py
Needs r-cran-mlbench (the .rda files under /usr/lib/R/site-library/mlbench/data) and python3-rdata.

The conversion, table by table (every value as R holds it; NA becomes an empty cell):
- BreastCancer.csv (699 rows; Wisconsin breast cancer): the nine cytology scores, which R stores as
  factors with levels "1".."10", are written as their level strings (so they read as numbers); the
  sample code `Id` is left out (it identifies a specimen and repeats across rows; not a feature);
  `Bare.nuclei` has 16 empty cells; label `Class`: benign / malignant.
- PimaIndiansDiabetes2.csv (768 rows): the corrected version of the Pima table, where impossible
  zeros are NA: empty cells in glucose (5), pressure (35), triceps (227), insulin (374), mass (11);
  numbers written in their shortest form; label `diabetes`: neg / pos.
- HouseVotes84.csv (435 rows; 1984 US Congress votes): V1..V16 are y / n with empty cells for
  "not voted" (NA); label `Class`: democrat / republican.
"""
import os
import warnings

import rdata

SOURCE = "/usr/lib/R/site-library/mlbench/data"
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "tables")
TABLES = {"BreastCancer": ["Id"], "PimaIndiansDiabetes2": [], "HouseVotes84": []}


def read_rda(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rdata: "Unknown encoding. Assumed ASCII." (the files are ASCII)
        return rdata.conversion.convert(rdata.parser.parse_file(os.path.join(SOURCE, name + ".rda")))[name]


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, dropped in TABLES.items():
        frame = read_rda(name).drop(columns=dropped)
        path = os.path.join(OUT, name + ".csv")
        frame.to_csv(path, index=False, na_rep="", float_format="%.10g", lineterminator="\n")
        missing = int(frame.isna().sum().sum())
        print(f"{path}: {len(frame)} rows, {frame.shape[1]} columns, {missing} empty cells")


if __name__ == "__main__":
    main()
