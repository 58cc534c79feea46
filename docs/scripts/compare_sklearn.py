#!/usr/bin/python3
"""Held-out scores of tapegrad train beside scikit-learn's MLPClassifier and MLPRegressor.

Trains tapegrad on scikit-learn's digits and Boston house prices tables with --test-split 0.2,
reads the rows it held out from its --report, and fits scikit-learn on exactly the same split,
with the features standardised on the training rows as tapegrad does. Prints a Markdown table
(docs/GETTING_STARTED.md quotes it).

    /usr/bin/python3 docs/scripts/compare_sklearn.py [path/to/tapegrad]

Needs python3-sklearn (apt-get install python3-sklearn); default command: build/tools/tapegrad.
"""
import csv
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.metrics import accuracy_score, mean_squared_error, r2_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

DATA = "/usr/lib/python3/dist-packages/sklearn/datasets/data"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def tapegrad(command, csv_path, args):
    """Runs tapegrad train with a held-out split; returns its report."""
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "r.json")
        subprocess.run([command, "train", "--csv", csv_path, *args, "--test-split", "0.2", "--seed", "1",
                        "--report", report], check=True, stdout=subprocess.DEVNULL)
        with open(report) as f:
            return json.load(f)


def rows(path, skip):
    with open(path, newline="") as f:
        return [r for r in csv.reader(f)][skip:]


def split(table, target_col, test_rows):
    data = np.array([[float(c) for c in r] for r in table])
    y = data[:, target_col]
    x = np.delete(data, target_col, axis=1)
    test = np.zeros(len(data), dtype=bool)
    test[test_rows] = True
    scaler = StandardScaler().fit(x[~test])
    return scaler.transform(x[~test]), y[~test], scaler.transform(x[test]), y[test]


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/tools/tapegrad")
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        digits = os.path.join(tmp, "digits.csv")
        with gzip.open(os.path.join(DATA, "digits.csv.gz"), "rt") as src, open(digits, "w") as dst:
            dst.write(src.read())
        r = tapegrad(command, digits, ["--no-header", "--target", "64", "--tensor", "--optimizer", "adam",
                                       "--model", "64,64,10", "--epochs", "60", "--batch", "64"])
        xtr, ytr, xte, yte = split(rows(digits, 0), 64, r["test_rows"])
        start = time.perf_counter()
        clf = MLPClassifier(hidden_layer_sizes=(64,), max_iter=300, random_state=1).fit(xtr, ytr)
        secs = time.perf_counter() - start
        out.append(("digits (10 classes), test accuracy", "%.3f" % r["test"]["accuracy"], "%.2f s" % r["seconds"],
                    "%.3f" % accuracy_score(yte, clf.predict(xte)), "%.2f s" % secs, "MLPClassifier((64,))"))

    boston = os.path.join(DATA, "boston_house_prices.csv")
    r = tapegrad(command, boston, ["--skip-rows", "1", "--target", "MEDV", "--tensor", "--optimizer", "adam",
                                   "--epochs", "200", "--batch", "32"])
    xtr, ytr, xte, yte = split(rows(boston, 2), 13, r["test_rows"])
    start = time.perf_counter()
    reg = MLPRegressor(hidden_layer_sizes=(16, 16), max_iter=2000, random_state=1).fit(xtr, ytr)
    secs = time.perf_counter() - start
    pred = reg.predict(xte)
    out.append(("Boston prices, test R\u00b2 (RMSE)", "%.3f (%.2f)" % (r["test"]["r2"], r["test"]["rmse"]),
                "%.2f s" % r["seconds"], "%.3f (%.2f)" % (r2_score(yte, pred), mean_squared_error(yte, pred) ** 0.5),
                "%.2f s" % secs, "MLPRegressor((16, 16))"))

    print("| data, held-out score | tapegrad | time | scikit-learn | time | scikit-learn model |")
    print("| --- | --- | --- | --- | --- | --- |")
    for line in out:
        print("| " + " | ".join(line) + " |")


if __name__ == "__main__":
    main()
