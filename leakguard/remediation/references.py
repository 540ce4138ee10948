"""File type -> the reference that replaces a literal secret in that file.

Each entry gives the text to show (``reference``), its language, and whether
``migrate --apply`` can put it in place of the literal (``rewritable``). The
snippets follow docs/remediation.md; none of them contains a value.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import regex

# Properties where CloudFormation accepts {{resolve:ssm-secure:...}}.
SSM_SECURE_PROPERTIES = frozenset({"masteruserpassword", "authtoken", "password"})

_BY_EXT = {
    ".py": "python", ".pyw": "python", ".ipynb": "notebook",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".tsx": "typescript", ".mts": "typescript",
    ".java": "java", ".kt": "java", ".go": "go", ".cs": "csharp", ".rb": "ruby", ".php": "php",
    ".sh": "shell", ".bash": "shell", ".zsh": "shell", ".ksh": "shell",
    ".tf": "terraform", ".tfvars": "terraform-vars", ".hcl": "terraform",
}


@dataclass(frozen=True, slots=True)
class Ref:
    text: str
    language: str
    rewritable: bool
    note: str = ""


_CFN_JSON = regex.compile(r'"AWSTemplateFormatVersion"\s*:|"Resources"\s*:\s*\{(?s:.{0,4000}?)"Type"\s*:\s*"AWS::')
_CFN_YAML = regex.compile(r"(?m)^AWSTemplateFormatVersion\s*:|^Resources\s*:\s*$(?s:.{0,4000}?)^\s+Type\s*:\s*['\"]?AWS::")
CFN_CANDIDATE_EXTS = (".json", ".yaml", ".yml", ".template")


def is_cloudformation(head: str) -> bool:
    """CloudFormation (or SAM, or a CDK ``*.template.json``) by content: an
    ``AWSTemplateFormatVersion``, or ``Resources`` holding a ``Type: AWS::...``."""
    return bool(_CFN_JSON.search(head) or _CFN_YAML.search(head))


def file_type(path: str, head: str | None = None) -> str:
    """A file's type for remediation purposes: from its path, and from the
    start of its content (``head``) where the path alone cannot tell
    (CloudFormation templates have no fixed name)."""
    p = path.replace("\\", "/").lower()
    base = os.path.basename(p)
    ext = os.path.splitext(base)[1]
    if base == ".env" or base.startswith(".env.") or base.endswith(".env"):
        return "dotenv"
    if base == ".envrc" or base in (".bashrc", ".profile", ".zshrc", ".bash_profile"):
        return "shell"
    if base == "dockerfile" or base.startswith("dockerfile.") or base.endswith(".dockerfile"):
        return "dockerfile"
    if "/.github/workflows/" in f"/{p}" and ext in (".yml", ".yaml"):
        return "github-actions"
    if regex.match(r"(docker-)?compose[\w.-]*\.ya?ml$", base):
        return "docker-compose"
    if base in ("serverless.yml", "serverless.yaml", "serverless.ts", "serverless.json"):
        return "serverless"
    if regex.search(r"task-?def(inition)?[\w.-]*\.json$", base):
        return "ecs-task-definition"
    if regex.match(r"(application|bootstrap)([-_][\w]+)?\.(properties|ya?ml)$", base):
        return "spring"
    if regex.match(r"values([-_.][\w.-]+)?\.ya?ml$", base):
        return "helm-values"
    if regex.match(r"(template|samconfig)\.(ya?ml|json)$", base) or regex.search(
            r"\.(template|template\.json|cfn\.(ya?ml|json))$|(^|/)(cloudformation|cfn)/", p):
        return "cloudformation"
    if head and ext in CFN_CANDIDATE_EXTS and is_cloudformation(head):
        return "cloudformation"
    if ext in (".yml", ".yaml") and regex.search(r"(^|/)(k8s|kube|kubernetes|manifests|deploy|helm|charts|kustomize)(/|$)", p):
        return "kubernetes"
    if base.endswith(".tf.json"):
        return "terraform"
    if base == "settings.py" or base.startswith("settings_"):
        return "python"
    return _BY_EXT.get(ext, "generic")


@dataclass(frozen=True, slots=True)
class Target:
    service: str  # secretsmanager | ssm
    name: str
    json_key: str | None  # for JSON secrets (database credentials)
    env_var: str
    region: str | None = None


def _sm_expr_py(t: Target) -> str:
    base = f'boto3.client("secretsmanager").get_secret_value(SecretId="{t.name}")["SecretString"]'
    return f'json.loads({base})["{t.json_key}"]' if t.json_key else base


def _ps_expr_py(t: Target) -> str:
    return f'boto3.client("ssm").get_parameter(Name="{t.name}", WithDecryption=True)["Parameter"]["Value"]'


def python_expr(t: Target) -> str:
    return _sm_expr_py(t) if t.service == "secretsmanager" else _ps_expr_py(t)


def _shell_expr(t: Target) -> str:
    if t.service == "secretsmanager":
        cmd = f"aws secretsmanager get-secret-value --secret-id {t.name} --query SecretString --output text"
        if t.json_key:
            cmd += f" | jq -r .{t.json_key}"
        return f'"$({cmd})"'
    return f'"$(aws ssm get-parameter --name {t.name} --with-decryption --query Parameter.Value --output text)"'


def cfn_ref(t: Target) -> str:
    if t.service == "secretsmanager":
        return "{{resolve:secretsmanager:%s:SecretString%s}}" % (t.name, f":{t.json_key}" if t.json_key else "")
    return "{{resolve:ssm-secure:%s}}" % t.name


def _sls_ref(t: Target) -> str:
    if t.service == "secretsmanager":
        return "${ssm:/aws/reference/secretsmanager/%s}" % t.name
    return "${ssm:%s}" % t.name


def reference(ftype: str, t: Target) -> Ref:
    """What replaces the literal in a file of type ``ftype``."""
    sm = t.service == "secretsmanager"
    env = t.env_var
    if ftype == "python":
        return Ref(python_expr(t), "python", True)
    if ftype == "notebook":
        return Ref(python_expr(t), "python", False, "edit the cell by hand, clear its outputs, never print() the value")
    if ftype in ("javascript", "typescript"):
        # a plaintext secret is the SecretString itself; only a JSON secret (database credentials) is parsed
        if sm:
            txt = (f'(await new SecretsManagerClient({{}}).send(new GetSecretValueCommand({{ SecretId: "{t.name}" }}))).SecretString')
            if t.json_key:
                txt = f"JSON.parse({txt}).{t.json_key}"
            txt += '  // import { SecretsManagerClient, GetSecretValueCommand } from "@aws-sdk/client-secrets-manager"'
        else:
            txt = (f'(await new SSMClient({{}}).send(new GetParameterCommand({{ Name: "{t.name}", WithDecryption: true }}))).Parameter.Value'
                   '  // import { SSMClient, GetParameterCommand } from "@aws-sdk/client-ssm"')
        return Ref(txt, ftype, False, f"needs an async context (or process.env.{env} injected at runtime): edit by hand")
    json_note = f"; the secret is JSON: read its {t.json_key!r} field" if t.json_key else ""
    if ftype == "java":
        txt = (f'SecretsManagerClient.create().getSecretValue(GetSecretValueRequest.builder().secretId("{t.name}").build()).secretString()' if sm
               else f'SsmClient.create().getParameter(GetParameterRequest.builder().name("{t.name}").withDecryption(true).build()).parameter().value()')
        return Ref(txt + "  // AWS SDK for Java 2.x; Spring: spring.config.import", "java", False,
                   "create the client once and reuse it: edit by hand" + json_note)
    if ftype == "go":
        txt = (f'secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{{SecretId: aws.String("{t.name}")}})' if sm
               else f'ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{{Name: aws.String("{t.name}"), WithDecryption: aws.Bool(true)}})')
        return Ref(txt + "  // AWS SDK for Go v2; cfg, err := config.LoadDefaultConfig(ctx)", "go", False,
                   "needs error handling: edit by hand" + json_note)
    if ftype == "csharp":
        txt = (f'(await new AmazonSecretsManagerClient().GetSecretValueAsync(new GetSecretValueRequest {{ SecretId = "{t.name}" }})).SecretString' if sm
               else f'(await new AmazonSimpleSystemsManagementClient().GetParameterAsync(new GetParameterRequest {{ Name = "{t.name}", WithDecryption = true }})).Parameter.Value')
        return Ref(txt, "csharp", False, "create the client once and reuse it: edit by hand" + json_note)
    if ftype == "ruby":
        txt = (f'Aws::SecretsManager::Client.new.get_secret_value(secret_id: "{t.name}").secret_string' if sm
               else f'Aws::SSM::Client.new.get_parameter(name: "{t.name}", with_decryption: true).parameter.value')
        if sm and t.json_key:
            txt = f'JSON.parse({txt})["{t.json_key}"]'
        return Ref(txt, "ruby", False, "needs the aws-sdk gem required: edit by hand")
    if ftype == "php":
        txt = (f"(new \\Aws\\SecretsManager\\SecretsManagerClient(['version' => 'latest']))->getSecretValue(['SecretId' => '{t.name}'])['SecretString']" if sm
               else f"(new \\Aws\\Ssm\\SsmClient(['version' => 'latest']))->getParameter(['Name' => '{t.name}', 'WithDecryption' => true])['Parameter']['Value']")
        if sm and t.json_key:
            txt = f"json_decode({txt}, true)['{t.json_key}']"
        return Ref(txt, "php", False, "create the client once and reuse it: edit by hand")
    if ftype == "dotenv":
        return Ref(f"{env}=   # value injected at runtime from {_svc(t)} {t.name} (ECS secrets, External Secrets, the Lambda extension, or chamber exec)",
                   "dotenv", True, "a .env file cannot hold a reference: the value is emptied and must be injected at runtime")
    if ftype == "docker-compose":
        return Ref(f"{env}: ${{{env}}}   # from the invoking shell, e.g. populated from {_svc(t)} {t.name}",
                   "yaml", True, "Compose has no native Secrets Manager/Parameter Store source: run it under an injector")
    if ftype == "cloudformation":
        return Ref(f"'{cfn_ref(t)}'", "yaml", True, "resolved at deploy time; a secret update needs a stack update")
    if ftype == "serverless":
        return Ref(_sls_ref(t), "yaml", True,
                   "resolved at deploy time; in provider.environment the value lands in the Lambda configuration: prefer passing the name and fetching at runtime")
    if ftype == "ecs-task-definition":
        vf = (f"arn:aws:secretsmanager:REGION:ACCOUNT:secret:{t.name}" + (f":{t.json_key}::" if t.json_key else "")) if sm else t.name
        return Ref(f'"secrets": [{{"name": "{env}", "valueFrom": "{vf}"}}]', "json", False,
                   "move the item from environment[] to secrets[] by hand; the execution role needs read access")
    if ftype == "kubernetes":
        svc = "SecretsManager" if sm else "ParameterStore"
        prop = f", property: {t.json_key}" if t.json_key else ""
        return Ref(f"ExternalSecret (external-secrets.io/v1, SecretStore service: {svc}) data: [{{secretKey: {env.lower()}, remoteRef: {{key: {t.name}{prop}}}}}]; pods keep env[].valueFrom.secretKeyRef",
                   "yaml", False, "replace the literal with an ExternalSecret or a Secrets Store CSI SecretProviderClass by hand")
    if ftype == "helm-values":
        return Ref(f"point the chart at a Kubernetes Secret created by an ExternalSecret (remoteRef.key: {t.name}) instead of the literal value",
                   "yaml", False, "chart-specific (many charts take an existing-secret value): edit by hand; never use --set for secrets")
    if ftype == "spring":
        txt = (f"spring.config.import=aws-secretsmanager:{t.name}" if sm else f"spring.config.import=aws-parameterstore:{t.name.rsplit('/', 1)[0]}/")
        return Ref(txt + f"  then ${{{t.json_key or t.name.rsplit('/', 1)[-1]}}}", "properties", False, "needs the spring-cloud-aws starter: edit by hand")
    if ftype == "terraform":
        txt = (f'ephemeral "aws_secretsmanager_secret_version" "{_tf_id(t)}" {{ secret_id = "{t.name}" }}  -> use it in a *_wo argument' if sm
               else f'ephemeral "aws_ssm_parameter" "{_tf_id(t)}" {{ arn = "arn:aws:ssm:REGION:ACCOUNT:parameter{t.name}" }}  -> use it in a *_wo argument')
        return Ref(txt, "hcl", False, "ephemeral resources need Terraform >= 1.10, write-only arguments >= 1.11; a data source would put the value in state")
    if ftype == "terraform-vars":
        return Ref(f'delete the literal; declare variable "{_tf_id(t)}" {{ sensitive = true }} and read {t.name} with an ephemeral block',
                   "hcl", False, "edit by hand")
    if ftype == "github-actions":
        txt = (f"aws-actions/aws-secretsmanager-get-secrets@v2 with secret-ids: '{env}, {t.name}' (after configure-aws-credentials with an OIDC role)" if sm
               else f'run: v="$(aws ssm get-parameter --name {t.name} --with-decryption --query Parameter.Value --output text)"; echo "::add-mask::$v"; echo "{env}=$v" >> "$GITHUB_ENV"')
        return Ref(txt, "yaml", False, "add a step by hand; or use ${{ secrets.NAME }} for values not needed in AWS")
    if ftype == "shell":
        return Ref(_shell_expr(t), "shell", True, "do not run with set -x and do not echo the variable")
    if ftype == "dockerfile":
        return Ref(f"RUN --mount=type=secret,id={env.lower()} ... (reads /run/secrets/{env.lower()}); build with docker build --secret id={env.lower()},src=FILE; inject runtime values through the orchestrator",
                   "dockerfile", False, "never put secrets in ENV or ARG: rebuild and delete already-pushed images")
    return Ref(f"read {t.name} from {_svc(t)} at runtime (SDK, or an injected {env} environment variable)", "text", False,
               "file type not known to the rewriter: edit by hand")


def _svc(t: Target) -> str:
    return "Secrets Manager" if t.service == "secretsmanager" else "Parameter Store"


def _tf_id(t: Target) -> str:
    return regex.sub(r"[^a-z0-9_]+", "_", t.name.rsplit("/", 1)[-1].lower()).strip("_") or "secret"


def do_not_store_advice(ftype: str) -> str:
    """Where AWS credentials come from instead of a stored key, for this file type."""
    return {
        "github-actions": "use aws-actions/configure-aws-credentials with an OIDC role-to-assume (permissions: id-token: write)",
        "kubernetes": "use IRSA or EKS Pod Identity for the pod's service account",
        "helm-values": "use IRSA or EKS Pod Identity for the pod's service account",
        "ecs-task-definition": "use the ECS task role",
        "serverless": "use the Lambda execution role",
        "cloudformation": "use an IAM role (instance profile, task role or Lambda execution role)",
        "terraform": "use an assumed role or the default credential chain in the provider block",
        "terraform-vars": "use an assumed role or the default credential chain in the provider block",
        "dotenv": "developers: aws sso login (IAM Identity Center) or aws-vault; workloads: an IAM role",
        "shell": "developers: aws sso login (IAM Identity Center) or aws-vault; workloads: an IAM role",
        "docker-compose": "mount nothing: give the workload an IAM role, or use aws sso login locally",
        "dockerfile": "never bake keys into images: the runtime role provides credentials",
    }.get(ftype, "delete the explicit key so the SDK uses the default credential chain (an IAM role: instance profile, ECS task role, Lambda execution role, IRSA)")
