"""Build the SAM application without Docker, transform it offline and deploy it into a moto server.

The deploy tests use these through the fixtures in conftest.py; nothing here talks to AWS.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from cfnlint.decode.cfn_yaml import load as load_cfn_yaml
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = REPO_ROOT / "template.yaml"
BUILD_CACHE = REPO_ROOT / ".aws-sam" / "test-builds"
REGION = "us-east-1"
ARTIFACT_BUCKET = "jobwatch-artifacts"
# What sam build reads: the template, both Makefiles and everything they copy or install.
BUILD_INPUTS = ("template.yaml", "functions", "layers/runtime")
SKIPPED_PARTS = ("__pycache__", ".egg-info", ".mypy_cache", ".pytest_cache")
# The stack most tests look at: Secrets Manager, Slack and email all configured.
MAIN_PARAMETERS = {
    "BrightDataTokenName": "jobwatch/brightdata-token",
    "SlackWebhookName": "jobwatch/slack-webhook",
    "AlertEmail": "oncall@example.com",
}
# The other secrets backend, with one hierarchical and one plain SSM parameter name (their ARNs differ).
SSM_PARAMETERS = {
    "SecretsBackend": "ssm",
    "BrightDataTokenName": "/jobwatch/brightdata-token",
    "SlackWebhookName": "jobwatch-slack-webhook",
}


def tool(venv: str, name: str, dev_fallback: str) -> Path:
    """The binary of a tool that lives in its own virtual environment (see the Makefile's `tools` target).

    `<repo>/<venv>/bin/<name>` is what `make test` (and so CI) builds; `dev_fallback` is the developer
    machine's prebuilt copy, for runs before `make tools`.
    """
    for candidate in (REPO_ROOT / venv / "bin" / name, Path(dev_fallback)):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{name} not found in {REPO_ROOT / venv}: run `make tools`")


def tool_env() -> dict[str, str]:
    """Environment for sam and checkov: no telemetry, a region, and this interpreter first on PATH.

    The layer's Makefile runs `python3 -m pip`: the test interpreter's directory first on PATH makes that the
    project's virtual environment, which has pip, whichever python3 the machine has.
    """
    env = dict(os.environ)
    env.update(
        SAM_CLI_TELEMETRY="0",
        AWS_DEFAULT_REGION=REGION,
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def inputs_digest() -> str:
    """A hash of every file sam build reads, so a cached build is reused only while they are unchanged."""
    digest = hashlib.sha256()
    for top in BUILD_INPUTS:
        root = REPO_ROOT / top
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            relative = path.relative_to(REPO_ROOT)
            if any(part.endswith(SKIPPED_PARTS) for part in relative.parts):
                continue
            digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Build:
    """The output of `sam build`: one directory per built resource."""

    root: Path
    seconds: float
    cached: bool

    @property
    def function_dir(self) -> Path:
        return self.root / "MonitorFunction"

    @property
    def layer_dir(self) -> Path:
        return self.root / "RuntimeLayer"

    def zip(self, name: str) -> Path:
        """`function` or `layer` zipped as Lambda takes it (the layer's python/ at the root), made once."""
        source = {"function": self.function_dir, "layer": self.layer_dir}[name]
        archive = self.root / f"{name}.zip"
        if not archive.exists():
            partial = archive.with_suffix(".partial")
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as bundle:
                for path in sorted(source.rglob("*")):
                    if path.is_file():
                        bundle.write(path, path.relative_to(source))
            partial.rename(archive)
        return archive


def sam_build(sam: Path) -> Build:
    """Run `sam build` (makefile build methods: no Docker) unless a build of the same inputs is cached."""
    digest = inputs_digest()
    target = BUILD_CACHE / digest
    if (target / ".complete").exists():
        return Build(target, 0.0, cached=True)
    BUILD_CACHE.mkdir(parents=True, exist_ok=True)
    for old in BUILD_CACHE.iterdir():  # builds of older inputs are of no further use
        if (old / ".complete").exists():
            shutil.rmtree(old, ignore_errors=True)
    scratch = BUILD_CACHE / f"{digest}.{os.getpid()}.partial"
    started = time.monotonic()
    command = [str(sam), "build", "--template-file", str(TEMPLATE), "--build-dir", str(scratch)]
    result = subprocess.run(
        command, check=False, cwd=REPO_ROOT, env=tool_env(), capture_output=True, text=True, timeout=900
    )
    if result.returncode != 0:
        shutil.rmtree(scratch, ignore_errors=True)
        raise RuntimeError(f"sam build failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    seconds = time.monotonic() - started
    (scratch / ".complete").write_text(f"{seconds:.1f}\n")
    try:
        scratch.rename(target)
    except OSError:  # another test run finished the same build first: use that one
        shutil.rmtree(scratch, ignore_errors=True)
    return Build(target, seconds, cached=False)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """template.yaml as plain dicts and lists, short-form tags (!Ref, !Sub...) as their long forms."""
    return json.loads(json.dumps(load_cfn_yaml(str(path))))


def transform_template(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """Expand the SAM resources to plain CloudFormation, as the AWS::Serverless transform does on deploy.

    Offline: the template attaches no managed policy by name, so the translator never needs IAM's list of them,
    and the region comes from an explicit session instead of the machine's configuration.
    """
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=REGION))
    return translator.translate(
        json.loads(json.dumps(template)), parameter_values=dict(parameters), get_managed_policy_map=lambda: {}
    )


@dataclass
class Stack:
    """A stack created in moto's CloudFormation, with the template it was created from."""

    name: str
    endpoint: str
    parameters: dict[str, str]
    transformed: dict[str, Any]
    outputs: dict[str, str] = field(default_factory=dict)
    physical_ids: dict[str, str] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        return aws_client(self.endpoint, service)

    def physical_id(self, logical_id: str) -> str:
        return self.physical_ids[logical_id]


def aws_client(endpoint: str, service: str) -> Any:
    """A boto3 client for the moto server, with fake credentials (never the machine's own)."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
    )


def put_secret(secretsmanager: Any, name: str, value: str) -> str:
    """Create the secret or give it a new value; its ARN."""
    try:
        return str(secretsmanager.create_secret(Name=name, SecretString=value)["ARN"])
    except secretsmanager.exceptions.ResourceExistsException:
        return str(secretsmanager.put_secret_value(SecretId=name, SecretString=value)["ARN"])


def upload_artifacts(endpoint: str, build: Build) -> dict[str, str]:
    """Put the zipped function and layer into the moto artifact bucket; their s3:// URIs by resource."""
    s3 = aws_client(endpoint, "s3")
    if ARTIFACT_BUCKET not in {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=ARTIFACT_BUCKET)
    uris = {}
    for resource, name in (("MonitorFunction", "function"), ("RuntimeLayer", "layer")):
        key = f"{build.root.name}/{name}.zip"
        s3.upload_file(str(build.zip(name)), ARTIFACT_BUCKET, key)
        uris[resource] = f"s3://{ARTIFACT_BUCKET}/{key}"
    return uris


def deploy(endpoint: str, build: Build, name: str, parameters: dict[str, str]) -> Stack:
    """Deploy template.yaml with `parameters` into moto, the code coming from the built artifacts."""
    uris = upload_artifacts(endpoint, build)
    template = load_template()
    template["Resources"]["MonitorFunction"]["Properties"]["CodeUri"] = uris["MonitorFunction"]
    template["Resources"]["RuntimeLayer"]["Properties"]["ContentUri"] = uris["RuntimeLayer"]
    transformed = transform_template(template, parameters)
    cloudformation = aws_client(endpoint, "cloudformation")
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=json.dumps(transformed),
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    described = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    if described["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"stack {name}: {described['StackStatus']} {described.get('StackStatusReason')}")
    summaries = cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
    return Stack(
        name=name,
        endpoint=endpoint,
        parameters=dict(parameters),
        transformed=transformed,
        outputs={output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])},
        physical_ids={s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries if s["LogicalResourceId"]},
    )


def required_actions() -> set[str]:
    """The AWS actions the code calls, as its adapters declare them (jobwatch.iam)."""
    from jobwatch.iam import REQUIRED_ACTIONS  # noqa: PLC0415 - the deploy suite imports the package lazily

    return set(REQUIRED_ACTIONS)


def function_configuration(stack: Stack) -> dict[str, Any]:
    """The deployed monitor function as Lambda's GetFunctionConfiguration describes it."""
    return dict(stack.client("lambda").get_function_configuration(FunctionName=stack.physical_id("MonitorFunction")))


def function_environment(stack: Stack) -> dict[str, str]:
    """The deployed function's environment as Lambda hands it to the code: every value a string.

    (moto keeps a Number parameter's value as a number where CloudFormation passes its string.)
    """
    variables = function_configuration(stack)["Environment"]["Variables"]
    return {name: str(value) for name, value in variables.items()}


def role_statements(stack: Stack, logical_id: str) -> list[dict[str, Any]]:
    """Every statement of the deployed role's inline policies, each with its policy's name under `_Policy`.

    Fails when a managed policy is attached: those grant what the template cannot show.
    """
    iam = stack.client("iam")
    role = stack.physical_id(logical_id)
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    if attached:
        raise AssertionError(f"{logical_id} has managed policies attached: {attached}")
    statements = []
    for policy in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = _policy_document(iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"])
        for statement in _as_list(document["Statement"]):
            statements.append({**statement, "_Policy": policy})
    return statements


def _policy_document(document: Any) -> dict[str, Any]:
    if isinstance(document, dict):
        return document
    try:
        return dict(json.loads(document))
    except ValueError:
        # moto keeps a policy that came from CloudFormation as str() of the dict it was given.
        return dict(ast.literal_eval(document))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def actions_of(statement: dict[str, Any]) -> list[str]:
    return _as_list(statement["Action"])


def resources_of(statement: dict[str, Any]) -> list[Any]:
    return _as_list(statement["Resource"])
