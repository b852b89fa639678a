"""A training script that knows nothing of xp and logs through MLflow's own client, as many do: xp's
`command` kind sets MLFLOW_TRACKING_URI, MLFLOW_RUN_ID and MLFLOW_EXPERIMENT_ID, so mlflow.start_run()
continues xp's run and every mlflow.log_metric lands in it (experiments/mlflow-fit.yaml). It fits a
line y = 3x + 1 by gradient descent in plain Python: numbers, not a framework, are the point here.

  python3 experiments/mlflow_fit.py --lr 0.1 --steps 20   (pyenv's python3, which has mlflow)
"""
import argparse
import random

import mlflow


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    xs = [rng.uniform(-1, 1) for _ in range(64)]
    ys = [3 * x + 1 + rng.gauss(0, 0.05) for x in xs]
    w, b = 0.0, 0.0
    with mlflow.start_run():
        for step in range(1, a.steps + 1):
            gw = sum(2 * (w * x + b - y) * x for x, y in zip(xs, ys)) / len(xs)
            gb = sum(2 * (w * x + b - y) for x, y in zip(xs, ys)) / len(xs)
            w, b = w - a.lr * gw, b - a.lr * gb
            mse = sum((w * x + b - y) ** 2 for x, y in zip(xs, ys)) / len(xs)
            mlflow.log_metric("mse", mse, step=step)
        print(f"fitted w={w:.3f} b={b:.3f}")


if __name__ == "__main__":
    main()
