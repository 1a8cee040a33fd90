"""Independent reference for test/evaluate: a risk.json applied with numpy, measured with scikit-learn.

Run with Debian's /usr/bin/python3 (python3-sklearn). Input (JSON on stdin): model (risk.json path),
x (rows of raw features in the model's order), y (0/1), threshold, bins. Output: the predictions and
roc_auc_score, average_precision_score, brier_score_loss, calibration_curve (uniform), the bin counts
and the expected calibration error from them, and recall/precision at the threshold.
"""
import json
import sys

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import average_precision_score, brier_score_loss, precision_score, recall_score, roc_auc_score

task = json.load(sys.stdin)
with open(task["model"]) as f:
    model = json.load(f)
x = np.asarray(task["x"], dtype=np.float64)
y = np.asarray(task["y"], dtype=np.int64)
if "p" in task:
    p = np.asarray(task["p"], dtype=np.float64)
else:
    z = model["intercept"] + ((x - np.asarray(model["scaler"]["mean"])) / np.asarray(model["scaler"]["std"])) @ np.asarray(model["coefficients"])
    p = 1.0 / (1.0 + np.exp(-z))
bins = task["bins"]
prob_true, prob_pred = calibration_curve(y, p, n_bins=bins, strategy="uniform")
# calibration_curve's own binning, to weigh each bin by its rows
edges = np.linspace(0.0, 1.0, bins + 1)
counts = np.bincount(np.searchsorted(edges[1:-1], p), minlength=bins)
nonempty = counts[counts > 0]
pred = (p >= task["threshold"]).astype(np.int64)
json.dump({
    "p": p.tolist(),
    "roc_auc": float(roc_auc_score(y, p)),
    "average_precision": float(average_precision_score(y, p)),
    "brier": float(brier_score_loss(y, p)),
    "prob_true": prob_true.tolist(),
    "prob_pred": prob_pred.tolist(),
    "counts": counts.tolist(),
    "ece": float(np.sum(nonempty / len(p) * np.abs(prob_true - prob_pred))),
    "recall": float(recall_score(y, pred, zero_division=0)),
    "precision": float(precision_score(y, pred, zero_division=0)),
    "removed": int(pred.sum()),
}, sys.stdout)
