"""Run a GitHub Actions workflow's jobs here, step by step, the way a hosted runner does.

- Each `run:` step is a script run by bash in the workspace (GitHub's default shell: `bash -e`;
  `shell: bash` adds `--noprofile --norc -o pipefail`), with a clean environment: what the
  runner itself sets (PATH, HOME, CI, GITHUB_*, RUNNER_TEMP) and the workflow's, the job's and
  the step's `env:`, nothing from the calling process.
- `${{ }}` expressions and `if:` conditions are evaluated for the subset the workflows use:
  contexts github, inputs, secrets, steps.<id>.outputs; literals; `!`, `==`, `!=`, `&&`, `||`,
  parentheses; success(), failure(), always(), cancelled(). A missing secret or input is "",
  as on GitHub.
- `$GITHUB_OUTPUT` (name=value lines) feeds `steps.<id>.outputs`.
- `uses:` steps: actions/checkout and actions/setup-python are what the caller prepared (the
  workspace and the Python on PATH); actions/upload-artifact copies the files its `path:`
  names into `artifacts_dir/<name>/`, as the upload would. Any other action fails the run.
"""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass
class StepResult:
    name: str
    outcome: str  # success, failure, skipped
    output: str = ""
    returncode: int | None = None


@dataclass
class JobResult:
    job: str
    steps: list[StepResult] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(step.outcome == "failure" for step in self.steps)

    def step(self, name: str) -> StepResult:
        return next(step for step in self.steps if step.name == name)


TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>\d+(?:\.\d+)?)"
    r"|(?P<op>&&|\|\||==|!=|!|\(|\))|(?P<name>[A-Za-z_][\w.-]*))"
)


class Expression:
    """A small evaluator of GitHub's expression syntax (see the module docstring)."""

    def __init__(self, text: str, context: dict[str, Any], job_failed: bool) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        text = text.strip()
        while position < len(text):
            match = TOKEN.match(text, position)
            if not match or match.end() == position:
                raise ValueError(f"cannot parse expression {text!r} at {position}")
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
            while position < len(text) and text[position].isspace():
                position += 1
        self.position = 0
        self.context = context
        self.job_failed = job_failed

    def evaluate(self) -> Any:
        value = self._or()
        if self.position != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.position]!r}")
        return value

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self, value: str) -> bool:
        if self._peek() == ("op", value):
            self.position += 1
            return True
        return False

    def _or(self) -> Any:
        value = self._and()
        while self._take("||"):
            right = self._and()
            value = value if truthy(value) else right
        return value

    def _and(self) -> Any:
        value = self._comparison()
        while self._take("&&"):
            right = self._comparison()
            value = right if truthy(value) else value
        return value

    def _comparison(self) -> Any:
        value = self._unary()
        for op in ("==", "!="):
            if self._take(op):
                right = self._unary()
                equal = loose_equal(value, right)
                return equal if op == "==" else not equal
        return value

    def _unary(self) -> Any:
        if self._take("!"):
            return not truthy(self._unary())
        return self._primary()

    def _primary(self) -> Any:
        token = self._peek()
        if token is None:
            raise ValueError("expression ends early")
        kind, text = token
        self.position += 1
        if kind == "op" and text == "(":
            value = self._or()
            if not self._take(")"):
                raise ValueError("missing )")
            return value
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "number":
            return float(text)
        if kind == "name":
            if text in ("true", "false"):
                return text == "true"
            if text == "null":
                return None
            if self._take("("):
                if not self._take(")"):
                    raise ValueError(f"{text}() with arguments is not supported")
                return self._function(text)
            return self._lookup(text)
        raise ValueError(f"unexpected {text!r}")

    def _function(self, name: str) -> bool:
        if name == "always":
            return True
        if name == "success":
            return not self.job_failed
        if name == "failure":
            return self.job_failed
        if name == "cancelled":
            return False
        raise ValueError(f"unknown function {name}()")

    def _lookup(self, path: str) -> Any:
        value: Any = self.context
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value


def truthy(value: Any) -> bool:
    return value not in (None, False, 0, 0.0, "")


def loose_equal(left: Any, right: Any) -> bool:
    """GitHub compares strings case-insensitively and coerces mixed types to numbers."""
    if isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()
    if type(left) is type(right):
        return bool(left == right)

    def number(value: Any) -> float:
        if value is None or value == "":
            return 0.0
        if isinstance(value, bool):
            return float(value)
        try:
            return float(value)
        except (TypeError, ValueError):
            return float("nan")

    return number(left) == number(right)


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


INTERPOLATION = re.compile(r"\$\{\{(.*?)\}\}")


@dataclass
class Runner:
    """One workflow on one event; `run(job)` runs a job's steps in `workspace`."""

    workflow_path: Path
    workspace: Path
    event_name: str
    base_env: dict[str, str]  # PATH, HOME: the runner machine
    secrets: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    event: dict[str, Any] = field(default_factory=dict)
    artifacts_dir: Path | None = None
    timeout: float = 3600

    def __post_init__(self) -> None:
        self.workflow = yaml.safe_load(self.workflow_path.read_text())
        if self.event_name == "workflow_dispatch":  # unset inputs take their defaults
            declared = self.workflow[True]["workflow_dispatch"].get("inputs", {})
            for name, spec in declared.items():
                self.inputs.setdefault(name, spec.get("default"))
        self.runner_temp = self.workspace.parent / "runner-temp"
        self.runner_temp.mkdir(exist_ok=True)

    def context(self, outputs: dict[str, dict[str, str]]) -> dict[str, Any]:
        return {
            "github": {
                "event_name": self.event_name,
                "event": self.event,
                "run_id": "4242",
                "repository": "acme/marketpulse",
                "server_url": "https://github.com",
                "token": self.secrets.get("GITHUB_TOKEN", ""),
            },
            "inputs": self.inputs,
            "secrets": self.secrets,
            "steps": {step: {"outputs": values} for step, values in outputs.items()},
        }

    def evaluate(self, expression: str, context: dict[str, Any], job_failed: bool) -> Any:
        return Expression(expression, context, job_failed).evaluate()

    def interpolate(self, value: Any, context: dict[str, Any], job_failed: bool) -> str:
        text = as_text(value)
        whole = INTERPOLATION.fullmatch(text.strip())
        if whole:
            return as_text(self.evaluate(whole.group(1), context, job_failed))
        return INTERPOLATION.sub(
            lambda match: as_text(self.evaluate(match.group(1), context, job_failed)), text
        )

    def condition(self, spec: Any, context: dict[str, Any], job_failed: bool) -> bool:
        if spec is None:
            return not job_failed
        text = as_text(spec).strip()
        if text.startswith("${{") and text.endswith("}}"):
            text = text[3:-2]
        if not re.search(r"\b(always|failure|cancelled|success)\(\)", text):
            text = f"success() && ({text})"
        return truthy(self.evaluate(text, context, job_failed))

    def run(self, job_name: str, job_failed_before: bool = False) -> JobResult:
        job = self.workflow["jobs"][job_name]
        result = JobResult(job_name)
        outputs: dict[str, dict[str, str]] = {}
        failed = job_failed_before
        for index, step in enumerate(job["steps"]):
            name = step.get("name") or step.get("uses") or f"step {index}"
            context = self.context(outputs)
            if not self.condition(step.get("if"), context, failed):
                result.steps.append(StepResult(name, "skipped"))
                continue
            env = dict(self.base_env)
            for scope in (self.workflow.get("env"), job.get("env"), step.get("env")):
                for key, value in (scope or {}).items():
                    env[key] = self.interpolate(value, context, failed)
            if "uses" in step:
                outcome = self._action(step, context, failed)
            else:
                outcome = self._script(step, index, env, outputs, job)
            outcome.name = name
            result.steps.append(outcome)
            failed = failed or outcome.outcome == "failure"
        return result

    def _script(
        self,
        step: dict[str, Any],
        index: int,
        env: dict[str, str],
        outputs: dict[str, dict[str, str]],
        job: dict[str, Any],
    ) -> StepResult:
        script = self.runner_temp / f"step-{index}.sh"
        script.write_text(step["run"])
        output_file = self.runner_temp / f"output-{index}"
        output_file.write_text("")
        env.update(
            {
                "GITHUB_OUTPUT": str(output_file),
                "GITHUB_WORKSPACE": str(self.workspace),
                "GITHUB_EVENT_NAME": self.event_name,
                "RUNNER_TEMP": str(self.runner_temp),
            }
        )
        shell = step.get("shell") or job.get("defaults", {}).get("run", {}).get("shell")
        command = (
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)]
            if shell == "bash"
            else ["bash", "-e", str(script)]
        )
        completed = subprocess.run(
            command,
            cwd=self.workspace,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=self.timeout,
            check=False,
        )
        if "id" in step:
            values = {}
            for line in output_file.read_text().splitlines():
                if "=" in line:
                    key, value = line.split("=", 1)
                    values[key] = value
            outputs[step["id"]] = values
        outcome = "success" if completed.returncode == 0 else "failure"
        return StepResult("", outcome, completed.stdout, completed.returncode)

    def _action(self, step: dict[str, Any], context: dict[str, Any], failed: bool) -> StepResult:
        action = step["uses"].split("@")[0]
        if action in ("actions/checkout", "actions/setup-python"):
            return StepResult("", "success", "prepared by the caller")
        if action == "actions/upload-artifact":
            assert self.artifacts_dir is not None, "upload-artifact needs artifacts_dir"
            settings = {
                key: self.interpolate(value, context, failed)
                for key, value in step.get("with", {}).items()
            }
            target = self.artifacts_dir / settings["name"]
            target.mkdir(parents=True, exist_ok=True)
            copied = []
            for pattern in settings["path"].split("\n"):
                pattern = pattern.strip()
                if not pattern:
                    continue
                for found in glob.glob(str(self.workspace / pattern), recursive=True):
                    path = Path(found)
                    if path.is_dir():
                        shutil.copytree(path, target, dirs_exist_ok=True)
                        copied += [p.name for p in path.rglob("*") if p.is_file()]
                    else:
                        shutil.copy2(path, target / path.name)
                        copied.append(path.name)
            if not copied and settings.get("if-no-files-found", "warn") == "error":
                return StepResult("", "failure", "no files found")
            return StepResult("", "success", "uploaded " + ", ".join(sorted(copied)))
        return StepResult("", "failure", f"the harness does not know the action {action}")
