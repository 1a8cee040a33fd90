"""Independent reference for test/risk: scikit-learn on the data the test sends (JSON on stdin).

Run with Debian's /usr/bin/python3 (python3-sklearn). Tasks:
  fit:     StandardScaler + LogisticRegression(penalty='l2', C, solver='lbfgs') -> mean, scale, coef, intercept, proba;
           "log_columns" (indices) are replaced by numpy's log before scaling (x and x_new)
  metrics: roc_curve, roc_auc_score, precision_recall_curve, average_precision_score, and
           precision/recall/f1/accuracy of predicting positive when score >= threshold
"""
import json
import sys

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (accuracy_score, average_precision_score, f1_score, precision_recall_curve,
                             precision_score, recall_score, roc_auc_score, roc_curve)
from sklearn.preprocessing import StandardScaler


def fit(task):
    logs = task.get("log_columns", [])

    def features(rows):
        x = np.asarray(rows, dtype=np.float64)
        x[:, logs] = np.log(x[:, logs])
        return x

    x = features(task["x"])
    y = np.asarray(task["y"], dtype=np.int64)
    scaler = StandardScaler().fit(x)
    xs = scaler.transform(x)
    # the sklearn default solver; tight tolerance so both sides reach the optimum of the same objective
    model = LogisticRegression(penalty="l2", C=task.get("C", 1.0), solver="lbfgs",
                               tol=task.get("tol", 1e-10), max_iter=100000).fit(xs, y)
    out = {
        "mean": scaler.mean_.tolist(),
        "scale": scaler.scale_.tolist(),
        "coef": model.coef_[0].tolist(),
        "intercept": float(model.intercept_[0]),
        "n_iter": int(model.n_iter_[0]),
        "proba": model.predict_proba(xs)[:, 1].tolist(),
    }
    if "x_new" in task:
        out["proba_new"] = model.predict_proba(scaler.transform(features(task["x_new"])))[:, 1].tolist()
    return out


def metrics(task):
    y = np.asarray(task["y"], dtype=np.int64)
    s = np.asarray(task["score"], dtype=np.float64)
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=True)
    fpr_all, tpr_all, thr_all = roc_curve(y, s, drop_intermediate=False)
    precision, recall, pr_thr = precision_recall_curve(y, s)
    pred = (s >= task.get("threshold", 0.5)).astype(np.int64)
    return {
        "sklearn_version": sklearn.__version__,
        "roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thr.tolist()},
        "roc_all": {"fpr": fpr_all.tolist(), "tpr": tpr_all.tolist(), "thresholds": thr_all.tolist()},
        "roc_auc": float(roc_auc_score(y, s)),
        "pr": {"precision": precision.tolist(), "recall": recall.tolist(), "thresholds": pr_thr.tolist()},
        "average_precision": float(average_precision_score(y, s)),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "f1": float(f1_score(y, pred, zero_division=0)),
        "accuracy": float(accuracy_score(y, pred)),
    }


if __name__ == "__main__":
    task = json.load(sys.stdin)
    result = {"fit": fit, "metrics": metrics}[task["task"]](task)
    json.dump(result, sys.stdout)
