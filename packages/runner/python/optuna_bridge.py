"""Optuna's ask-and-tell interface as JSON lines over stdin/stdout, for xp's optuna sweeper.

xp (packages/runner/src/run/sweepers/optuna-bridge.ts) starts this with python3 and writes one
request a line; each gets exactly one answer line, in order: {"ok": true, ...} or
{"ok": false, "error": "..."}. The study lives in Optuna's storage, not here: this process only
holds the trials it asked for until they are told, so that intermediate values can be reported
on them. Requests:

  {"op": "open", "storage", "study", "direction": "maximize"|"minimize", "sampler": "tpe"|"random",
   "seed", "startupTrials"?, "space": [{"name", "kind": "float"|"int"|"categorical", "low"?,
   "high"?, "log"?, "step"?, "choices"?}]}
      -> {"finished": trials complete, pruned or failed so far, "running": [numbers]}
  {"op": "ask", "n"}                    -> {"trials": [{"number", "params": {name: value}}]}
  {"op": "report", "number", "step", "value"}
  {"op": "tell", "number", "state": "complete"|"pruned"|"fail", "value"?}
  {"op": "best"}                        -> {"best": {"number", "value", "params"} | null}
  {"op": "close"}                       -> answered, then the process exits

Nothing but answers goes to stdout: Optuna's own log goes to stderr, at warning level.
"""

import json
import math
import sys


def main() -> None:
    try:
        import optuna
    except ImportError as error:  # xp checks this before it starts a sweep; say it plainly anyway
        answer({"ok": False, "error": f"Optuna is not installed for {sys.executable}: pip install optuna ({error})"})
        return
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    bridge = Bridge(optuna)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            result = bridge.handle(request)
            answer({"ok": True, **result})
        except Exception as error:  # every failure is an answer: xp decides what it means
            answer({"ok": False, "error": f"{type(error).__name__}: {error}"})
            continue
        if request.get("op") == "close":
            return


def answer(message: dict) -> None:
    sys.stdout.write(json.dumps(message, allow_nan=False) + "\n")
    sys.stdout.flush()


def finite(value):
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


class Bridge:
    def __init__(self, optuna) -> None:
        self.optuna = optuna
        self.study = None
        self.distributions = {}
        # Trials asked for and not yet told, by number: report() needs the Trial object.
        self.open_trials = {}

    def handle(self, request: dict) -> dict:
        op = request.get("op")
        if op == "open":
            return self.open(request)
        if op == "close":
            return {}
        if self.study is None:
            raise RuntimeError(f"'{op}' before 'open'")
        if op == "ask":
            return self.ask(int(request["n"]))
        if op == "report":
            return self.report(request)
        if op == "tell":
            return self.tell(request)
        if op == "best":
            return self.best()
        raise ValueError(f"unknown op {op!r}")

    def open(self, request: dict) -> dict:
        optuna = self.optuna
        seed = request.get("seed")
        if request["sampler"] == "random":
            sampler = optuna.samplers.RandomSampler(seed=seed)
        else:
            options = {"seed": seed}
            if request.get("startupTrials") is not None:
                options["n_startup_trials"] = int(request["startupTrials"])
            sampler = optuna.samplers.TPESampler(**options)
        self.study = optuna.create_study(
            storage=request["storage"],
            study_name=request["study"],
            direction=request["direction"],
            sampler=sampler,
            load_if_exists=True,
        )
        if self.study.direction.name.lower() != request["direction"]:
            raise ValueError(
                f"study {request['study']!r} in {request['storage']} was created to {self.study.direction.name.lower()}, "
                f"this search would {request['direction']}: give sweep.optuna.study another name"
            )
        self.distributions = {p["name"]: self.distribution(p) for p in request["space"]}
        states = optuna.trial.TrialState
        trials = self.study.get_trials(deepcopy=False)
        finished = [t for t in trials if t.state in (states.COMPLETE, states.PRUNED, states.FAIL)]
        running = [t.number for t in trials if t.state == states.RUNNING]
        return {"finished": len(finished), "running": running}

    def distribution(self, param: dict):
        d = self.optuna.distributions
        if param["kind"] == "float":
            return d.FloatDistribution(param["low"], param["high"], log=bool(param.get("log")), step=param.get("step"))
        if param["kind"] == "int":
            return d.IntDistribution(int(param["low"]), int(param["high"]))
        if param["kind"] == "categorical":
            return d.CategoricalDistribution(param["choices"])
        raise ValueError(f"unknown distribution kind {param['kind']!r}")

    def ask(self, n: int) -> dict:
        asked = []
        for _ in range(n):
            trial = self.study.ask(self.distributions)
            self.open_trials[trial.number] = trial
            asked.append({"number": trial.number, "params": trial.params})
        return {"trials": asked}

    def report(self, request: dict) -> dict:
        trial = self.open_trials.get(request["number"])
        value = finite(request["value"])
        # A trial told already, or a value Optuna cannot store: nothing to report.
        if trial is not None and value is not None:
            trial.report(value, int(request["step"]))
        return {}

    def tell(self, request: dict) -> dict:
        states = self.optuna.trial.TrialState
        number = request["number"]
        state = {"complete": states.COMPLETE, "pruned": states.PRUNED, "fail": states.FAIL}[request["state"]]
        value = finite(request.get("value"))
        if state == states.COMPLETE and value is None:
            state = states.FAIL
        self.study.tell(number, value if state == states.COMPLETE else None, state=state)
        self.open_trials.pop(number, None)
        return {"state": state.name.lower()}

    def best(self) -> dict:
        try:
            best = self.study.best_trial
        except ValueError:  # no complete trial yet
            return {"best": None}
        return {"best": {"number": best.number, "value": best.value, "params": best.params}}


if __name__ == "__main__":
    main()
