#!/usr/bin/env python3
"""Generate a synthetic, valid clinigate registry for benchmarks (DESIGN §11).

    python benchmarks/generate.py OUT_DIR --models M --versions V [--history H] [--seed N]

Writes ``policies/data/roles.yaml``, ``schemas/*.schema.json`` (copied from this repository, so
the ``# yaml-language-server: $schema=`` lines resolve) and, for each of M models,
``models/<m>/{model,pccp,deployment,risk}.yaml`` plus V versions ``models/<m>/versions/<semver>.yaml``
of ~4.5 KB each. Every file passes ``clinigate validate`` and the JSON Schemas.

OUT_DIR becomes a Git repository. Without ``--history`` it holds one commit. With ``--history H``
it holds H commits with explicit, increasing dates over three years, written by
``git fast-import``: the first commit creates every model with its first version, each later
commit adds one version or changes one deployment.yaml (when H is smaller than the number of
versions, a commit adds a batch of versions and moves the touched models' deployments).

Output is a pure function of the arguments: same arguments, same bytes, same commit ids.
Text is built from string templates (no yaml.dump) and stays plain: no anchors, aliases, tags,
nested flow collections or the characters ! & * %, so it exercises clinigate's happy path.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCHEMAS = HERE.parent / "schemas"

IDENTITY = ("Registry Bench", "registry-bench@example.org")
EPOCH = 1_641_200_400  # 2022-01-03 09:00 UTC: the first commit
SPAN_SECONDS = 3 * 365 * 86_400  # history spreads over three years
FIRST_SUBMISSION = date(2022, 1, 3)

# (id, printed name, github, roles, title); all five roles are held by someone.
PEOPLE = [
    ("ada.okafor", "Ada Okafor", "ada-okafor", ["data_scientist"], "Senior Data Scientist"),
    ("bruno.lindqvist", "Bruno Lindqvist", "blindqvist", ["data_scientist"], "Data Scientist"),
    ("chen.wei", "Chen Wei", "chenwei-ml", ["data_scientist", "security_reviewer"], "ML Engineer"),
    ("dolores.nwosu", "Dolores Nwosu", "dnwosu", ["clinical_reviewer"], "Attending Intensivist"),
    ("emil.haddad", "Emil Haddad", "ehaddad-md", ["clinical_reviewer"], "Hospitalist"),
    ("farah.moreau", "Farah Moreau", "fmoreau", ["security_reviewer"], "Security Architect"),
    ("gideon.alvarez", "Gideon Alvarez", "galvarez-ra", ["regulatory"], "Regulatory Affairs Lead"),
    ("hana.sato", "Hana Sato", "hsato-qa", ["quality"], "Quality Manager"),
    ("ivan.petrov", "Ivan Petrov", "ipetrov", ["regulatory", "quality"], "QA/RA Specialist"),
]
DATA_SCIENTISTS = [p[0] for p in PEOPLE if "data_scientist" in p[3]]

# slug, display name, condition, setting, reference standard, pathway
CONDITIONS = [
    ("sepsis-ews", "Sepsis early warning", "sepsis within 12 hours", "adult inpatient wards and ED",
     "Sepsis-3 by chart review", "510k"),
    ("aki-risk", "Acute kidney injury risk", "KDIGO stage 2 or 3 AKI within 48 hours",
     "adult inpatient wards", "KDIGO creatinine criteria", "de_novo"),
    ("readmit-30d", "30-day readmission risk", "unplanned readmission within 30 days",
     "discharge planning on medical wards", "readmission in the regional HIE", "non_device_cds"),
    ("deterioration", "Clinical deterioration", "ICU transfer or death within 24 hours",
     "general medical and surgical wards", "ICU transfer or in-hospital death", "510k"),
    ("pe-ct-triage", "Pulmonary embolism CT triage", "pulmonary embolism on CT angiography",
     "radiology worklists", "consensus read by two thoracic radiologists", "510k"),
    ("hypoglycemia", "Inpatient hypoglycemia", "glucose below 54 mg/dL within 24 hours",
     "adult inpatients on insulin", "point-of-care and laboratory glucose", "non_device_cds"),
    ("delirium", "Delirium risk", "incident delirium during admission",
     "adult inpatients aged 65 and over", "CAM-ICU or 4AT positive by nursing", "non_device_cds"),
    ("pneumonia-cxr", "Pneumonia chest X-ray", "radiographic pneumonia",
     "emergency department imaging", "adjudicated radiologist consensus", "510k"),
]

SITES = [
    ("Northfield General", "nfg"), ("St Brigid University Hospital", "sbuh"),
    ("Lakeshore Community", "lsc"), ("Riverside Medical Center", "rmc"),
    ("Highland Regional", "hlr"), ("Eastgate Childrens and Adults", "eca"),
]

FEATURES = [
    "heart_rate", "resp_rate", "sbp", "dbp", "map", "temperature", "spo2", "fio2", "gcs",
    "lactate", "wbc", "neutrophils", "platelets", "hemoglobin", "creatinine", "bun", "sodium",
    "potassium", "chloride", "bicarbonate", "glucose", "bilirubin", "alt", "ast", "albumin",
    "crp", "procalcitonin", "inr", "troponin", "age", "sex", "bmi", "charlson_index",
    "prior_admissions_12m", "ed_arrival_mode", "urine_output_6h", "vasopressor_flag",
    "oxygen_device", "nurse_concern_flag", "hours_since_admission", "antibiotic_started",
    "ldh", "ferritin", "d_dimer",
]

# attribute -> groups; 12 subgroups in all
GROUPS = {
    "age_band": ["18-44", "45-64", "65-79", "80+"],
    "sex": ["female", "male"],
    "race": ["white", "black", "asian", "other or unknown"],
    "ethnicity": ["hispanic or latino", "not hispanic or latino"],
}
TYPICAL_SHARES = {
    "age_band": [0.24, 0.33, 0.29, 0.14], "sex": [0.52, 0.48],
    "race": [0.61, 0.19, 0.09, 0.11], "ethnicity": [0.17, 0.83],
}

ALGORITHMS = [
    ("gradient_boosting", "xgboost", "2.0.3", [
        ("max_depth", lambda r: r.choice([4, 5, 6, 8])),
        ("learning_rate", lambda r: r.choice(["0.03", "0.05", "0.1"])),
        ("n_estimators", lambda r: r.choice([300, 400, 600, 800])),
        ("subsample", lambda r: r.choice(["0.7", "0.8", "0.9"])),
        ("colsample_bytree", lambda r: r.choice(["0.6", "0.8"])),
        ("objective", lambda r: '"binary:logistic"'),
        ("early_stopping", lambda r: "true"),
    ]),
    ("random_forest", "scikit-learn", "1.4.2", [
        ("n_estimators", lambda r: r.choice([200, 500, 1000])),
        ("max_depth", lambda r: r.choice([8, 12, 16])),
        ("min_samples_leaf", lambda r: r.choice([5, 10, 20])),
        ("class_weight", lambda r: "balanced"),
        ("bootstrap", lambda r: "true"),
    ]),
    ("logistic_regression", "scikit-learn", "1.4.2", [
        ("penalty", lambda r: "l2"),
        ("C", lambda r: r.choice(["0.1", "0.5", "1.0"])),
        ("solver", lambda r: "lbfgs"),
        ("max_iter", lambda r: 1000),
    ]),
    ("neural_network", "pytorch", "2.2.1", [
        ("hidden_layers", lambda r: r.choice([2, 3])),
        ("hidden_units", lambda r: r.choice([64, 128, 256])),
        ("dropout", lambda r: r.choice(["0.1", "0.2", "0.3"])),
        ("learning_rate", lambda r: r.choice(["0.001", "0.0005"])),
        ("batch_size", lambda r: r.choice([256, 512])),
        ("epochs", lambda r: r.choice([30, 50, 80])),
        ("optimizer", lambda r: "adamw"),
    ]),
]

CHANGE_TEXT = {
    "initial": ("Initial release", "First version submitted under the authorised PCCP baseline."),
    "metadata_only": ("Model card wording", "Clarifies limitations after the quarterly "
                      "governance review; artifact unchanged."),
    "data_update": ("Retrain on refreshed extract", "Adds the latest quarter of encounters to "
                    "correct calibration drift flagged by the PSI monitor."),
    "hyperparameter_tuning": ("Hyperparameter tuning", "Tunes regularisation after mild "
                              "overfitting on the newest site."),
    "feature_engineering": ("Feature set revision", "Replaces features with high missingness "
                            "at the community site."),
    "architecture_change": ("Model family change", "A new model family improved discrimination "
                            "in the elderly subgroup."),
}


@dataclass(frozen=True)
class ModelPlan:
    """Everything about one model that stays the same across its versions."""

    name: str
    index: int
    condition: tuple[str, str, str, str, str, str]
    sites: list[tuple[str, str]]
    features: list[str]
    algorithm: int
    base_auc: float
    versions: list[str]


def semver_series(count: int) -> list[str]:
    """1.0.0, 1.0.1 … 1.0.4, 1.1.0 … : strictly increasing, a new major every 25 versions."""
    return [f"{1 + i // 25}.{(i % 25) // 5}.{i % 5}" for i in range(count)]


def change_class(version: str, index: int) -> str:
    if index == 0:
        return "initial"
    major, minor, patch = (int(p) for p in version.split("."))
    if minor == 0 and patch == 0:
        return "architecture_change"
    if patch == 0:
        return "feature_engineering" if minor % 2 else "hyperparameter_tuning"
    return "metadata_only" if patch == 4 else "data_update"


def hexdigest(*parts: object, length: int = 64) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:length]


def plan_models(count: int, versions: int, seed: int) -> list[ModelPlan]:
    plans = []
    for i in range(count):
        rng = random.Random(f"{seed}/model/{i}")
        condition = CONDITIONS[i % len(CONDITIONS)]
        plans.append(ModelPlan(
            name=f"{condition[0]}-{i:04d}",
            index=i,
            condition=condition,
            sites=rng.sample(SITES, 3),
            features=rng.sample(FEATURES, 24),
            algorithm=rng.randrange(len(ALGORITHMS)),
            base_auc=rng.uniform(0.79, 0.86),
            versions=semver_series(versions),
        ))
    return plans


# ---------------------------------------------------------------- documents


def roles_yaml() -> str:
    out = ["# yaml-language-server: $schema=../../schemas/roles.schema.json",
           "apiVersion: clinigate/v1", "kind: Roles", "people:"]
    for pid, name, github, roles, title in PEOPLE:
        out += [f"  - id: {pid}", f'    name: "{name}"', f"    github: {github}",
                f"    email: {pid}@example.org", f"    roles: [{', '.join(roles)}]",
                f'    title: "{title}"']
    return "\n".join(out) + "\n"


def model_yaml(m: ModelPlan) -> str:
    slug, display, condition, setting, _, pathway = m.condition
    clearance = f'"K{230000 + m.index:06d}"' if pathway in ("510k", "de_novo") else "null"
    risk = "II" if pathway in ("510k", "de_novo") else "I"
    team = slug.split("-")[0]
    return f"""\
# yaml-language-server: $schema=../../schemas/model.schema.json
apiVersion: clinigate/v1
kind: Model
name: {m.name}
display_name: "{display} ({m.index:04d})"
description: "Estimates the probability of {condition} from routinely collected EHR data and surfaces it to the care team."
developer:
  organisation: "Regional Health Data Science"
  contact: clinical-ai@example.org
  funding: "Internal quality improvement budget"
intended_use:
  purpose: "Identify patients at elevated risk of {condition} so that clinicians can reassess them earlier."
  indication: "Adults in {setting} with at least one set of vital signs recorded."
  population:
    description: "Adult encounters in {setting} at the participating sites."
    age:
      min_years: 18
      max_years: 110
    inclusion:
      - "age 18 or older at admission"
      - "at least one complete set of vital signs"
    exclusions:
      - "comfort care only orders"
      - "obstetric admissions"
  setting: "{setting}"
  users:
    - "attending physicians"
    - "charge nurses"
    - "rapid response team"
  out_of_scope:
    - "paediatric patients"
    - "outpatient and telehealth encounters"
    - "use as the sole basis for a treatment decision"
  decision_role: informs
  output:
    type: probability
    description: "Calibrated probability of {condition}, refreshed hourly, with the top contributing features."
regulatory:
  pathway: {pathway}
  clearance: {clearance}
  risk_class: {risk}
owners:
  - "@regional-health/{team}-models"
  - "@regional-health/ml-platform"
"""


_PCCP_CLASSES = [
    ("initial", True, "The authorised baseline and its first deployment.",
     "[data_scientist, clinical_reviewer, regulatory, quality]", "none"),
    ("metadata_only", True, "Documentation, model card and monitoring text; artifact unchanged.",
     "[data_scientist, clinical_reviewer, quality]", "none"),
    ("data_update", True, "Retraining on new data from the same sites and population, same features.",
     "[data_scientist, clinical_reviewer, quality]", "letter_to_file"),
    ("hyperparameter_tuning", True, "Hyperparameters within the ranges of the modification protocol.",
     "[data_scientist, clinical_reviewer, quality]", "letter_to_file"),
    ("feature_engineering", True, "Adding or replacing input features from the approved list.",
     "[data_scientist, clinical_reviewer, security_reviewer, quality]", "letter_to_file"),
    ("architecture_change", False, "A different model family; needs a new submission.",
     "[data_scientist, clinical_reviewer, regulatory, quality]", "new_submission"),
    ("new_indication", False, "A new indication or population is outside any PCCP.",
     "[data_scientist, clinical_reviewer, regulatory, quality]", "new_submission"),
]


def pccp_yaml(m: ModelPlan) -> str:
    out = [f"""\
# yaml-language-server: $schema=../../schemas/pccp.schema.json
apiVersion: clinigate/v1
kind: PCCP
model: {m.name}
title: "Predetermined Change Control Plan for {m.condition[1]}"
version: "v1.2"
submission: "Q{240000 + m.index:06d}"
authorised_baseline: {m.versions[0]}
locked_validation_set:
  name: "{m.condition[0]}-holdout"
  version: "v2"
  sha256: {hexdigest("holdout", m.name)}
reference_standard: "{m.condition[4]}"
impact_assessment:
  summary: "Changes inside this plan keep the intended use, population and output type; each is re-validated on the locked holdout with subgroup analysis."
  document: "QMS-IA-{m.index:04d}"
change_classes:"""]
    for cls, authorised, description, roles, action in _PCCP_CLASSES:
        out.append(f"""\
  {cls}:
    authorised: {"true" if authorised else "false"}
    risk_affecting: {"false" if cls == "metadata_only" else "true"}
    description: "{description}"
    acceptance:
      min_auc: 0.75
      max_subgroup_gap: 0.12
      max_regression: 0.03
      required_subgroup_attributes: [age_band, sex, race, ethnicity]
      min_subgroup_n: 100
      require_locked_validation_set: true
    required_roles: {roles}
    regulatory_action: {action}""")
    return "\n".join(out) + "\n"


def risk_yaml(m: ModelPlan) -> str:
    return f"""\
# yaml-language-server: $schema=../../schemas/risk-register.schema.json
apiVersion: clinigate/v1
kind: RiskRegister
model: {m.name}
risk_management_file: "QMS-RM-{m.index:04d}"
hazards:
  - {{id: H-1, description: "Missed or late alert for {m.condition[1]} (false negative)"}}
  - {{id: H-2, description: "Performance degradation after drift in case mix or inputs"}}
controls:
  - {{id: RC-1, description: "Operating threshold and escalation pathway", hazards: [H-1],
     iso14971_reference: "ISO 14971:2019 §7.1"}}
  - {{id: RC-2, description: "Post-market performance monitoring", hazards: [H-1, H-2],
     iso14971_reference: "ISO 14971:2019 §10"}}
"""


def deployment_yaml(m: ModelPlan, available: int, revision: int) -> str:
    """Shadow runs the newest version, staging the one before, production the one before that."""
    vs = m.versions[:available]
    rollback = vs[available - 4] if available >= 4 else "null"
    canary = 5 + (revision * 7) % 41
    reason = ("Promote the validated release after the shadow period showed no drift"
              if revision % 3 == 0 else
              "Adjust the canary share after the weekly safety huddle" if revision % 3 == 1 else
              "Hold production while the clinical reviewer completes the subgroup review")
    return f"""\
# yaml-language-server: $schema=../../schemas/deployment.schema.json
apiVersion: clinigate/v1
kind: Deployment
model: {m.name}
environments:
  shadow:
    version: {vs[-1]}
    strategy: shadow
  staging:
    version: {vs[max(0, available - 2)]}
    strategy: canary
    canary_percent: {canary}
  production:
    version: {vs[max(0, available - 3)]}
    strategy: full
rollback_target: {rollback}
change:
  rationale: "{reason} (revision {revision})."
"""


def _split(total: int, shares: list[float], rng: random.Random, jitter: float) -> list[int]:
    """Integers near total × share (each ≥ 1) that add up to exactly total."""
    raw = [max(0.01, s + rng.uniform(-jitter, jitter)) for s in shares]
    scale = total / sum(raw)
    parts = [max(1, int(r * scale)) for r in raw]
    parts[0] += total - sum(parts)
    return parts


def _ci(point: float, n_pos: float) -> str:
    half = min(0.09, max(0.004, 0.9 / (n_pos ** 0.5)))
    return f"[{max(0.0, point - half):.3f}, {min(1.0, point + half):.3f}]"


def version_yaml(m: ModelPlan, i: int, seed: int) -> str:
    rng = random.Random(f"{seed}/version/{m.index}/{i}")
    version, parent = m.versions[i], (m.versions[i - 1] if i else "null")
    cls = change_class(version, i)
    summary, rationale = CHANGE_TEXT[cls]
    slug, display, condition, setting, reference, _ = m.condition
    algo_type, framework, framework_version, params = ALGORITHMS[(m.algorithm + i // 25) % len(ALGORITHMS)]
    submitted = FIRST_SUBMISSION + timedelta(days=i * 21 + m.index % 17)
    start = date(2017 + (i // 20) % 3, 1 + m.index % 12, 1)
    end = submitted - timedelta(days=60)

    # training data: 3 sites whose n add up to exactly the dataset size
    size = rng.randrange(18_000, 90_000)
    site_n = _split(size, [0.5, 0.3, 0.2], rng, 0.05)
    extract = f"v{3 + i // 4}"
    sites = "\n".join(f'      - name: "{name}"\n        version: "{code}-{extract}"\n'
                      f"        n: {n}" for (name, code), n in zip(m.sites, site_n, strict=False))

    # training demographics: shares per attribute summing to exactly 1.000
    demo = []
    for attribute, groups in GROUPS.items():
        thousandths = _split(1000, TYPICAL_SHARES[attribute], rng, 0.02)
        demo.append(f"    {attribute}:")
        demo += [f"      {g}: {t / 1000:.3f}" for g, t in zip(groups, thousandths, strict=False)]

    hyper = "\n".join(f"      {key}: {make(rng)}" for key, make in params)
    shift = (i // 5) % 4  # feature engineering swaps a couple of names every minor version
    features = m.features[shift:shift + 20]
    names = "\n".join(f"      - {f}" for f in features)

    # validation: overall metrics and 12 subgroups whose CIs contain their point estimates
    n_val = rng.randrange(6_000, 20_000)
    prevalence = rng.uniform(0.05, 0.15)
    auc = min(0.95, m.base_auc + 0.0006 * i + rng.uniform(-0.004, 0.004))
    sens, spec = rng.uniform(0.70, 0.85), rng.uniform(0.80, 0.92)
    ppv = sens * prevalence / (sens * prevalence + (1 - spec) * (1 - prevalence))
    npv = spec * (1 - prevalence) / (spec * (1 - prevalence) + (1 - sens) * prevalence)
    subgroups = []
    for attribute, groups in GROUPS.items():
        for g, n in zip(groups, _split(n_val, TYPICAL_SHARES[attribute], rng, 0.02), strict=False):
            sub_auc = round(min(0.97, max(0.55, auc + rng.uniform(-0.035, 0.035))), 3)
            subgroups.append(
                f"    - attribute: {attribute}\n      group: {g}\n      n: {n}\n"
                f"      auc_roc: {sub_auc:.3f}\n      ci95: {_ci(sub_auc, n * prevalence)}\n"
                f"      sensitivity: {min(0.97, max(0.5, sens + rng.uniform(-0.05, 0.05))):.3f}")
    auc = round(auc, 3)
    val_sites = ", ".join(f'"{name}"' for name, _ in m.sites)

    return f"""\
# yaml-language-server: $schema=../../../schemas/model-version.schema.json
apiVersion: clinigate/v1
kind: ModelVersion
model: {m.name}
version: {version}
parent: {parent}
submitted_by: {DATA_SCIENTISTS[(m.index + i) % len(DATA_SCIENTISTS)]}
submitted_on: {submitted.isoformat()}
change:
  summary: "{summary}"
  rationale: "{rationale}"
  declared_class: {cls}
  risk_controls_affected: ["RC-2 post-market performance monitoring"]
artifact:
  uri: models:/{m.name}/{i + 1}
  sha256: {hexdigest(seed, m.name, version, "artifact")}
  mlflow:
    registered_model: {m.name}
    version: {i + 1}
    run_id: {hexdigest(seed, m.name, version, "run", length=32)}
training:
  dataset:
    name: "{slug}-training"
    version: "{extract}"
    sha256: {hexdigest(seed, m.name, extract, "training")}
    date_range:
      start: {start.isoformat()}
      end: {end.isoformat()}
    size: {size}
    sites:
{sites}
    inclusion:
      - "adult encounters in {setting}"
    exclusions:
      - "comfort care only on arrival"
    deidentification:
      method: expert_determination
      reference: "DUA-{2021 + i // 30}-{m.index % 400:03d}"
  demographics:
{chr(10).join(demo)}
  algorithm:
    type: {algo_type}
    framework: {framework}
    framework_version: "{framework_version}"
    hyperparameters:
{hyper}
    random_seed: {rng.randrange(1, 100_000)}
  features:
    set: "{slug}-features"
    version: "v{1 + i // 5}.{i % 5}"
    names:
{names}
  infrastructure:
    compute: "2x NVIDIA A10G"
    training_duration_minutes: {rng.randrange(12, 240)}
validation:
  dataset:
    name: "{slug}-holdout"
    version: "v2"
    sha256: {hexdigest("holdout", m.name)}
    locked: true
    sites: [{val_sites}]
  reference_standard:
    name: "{reference}"
    definition: "{condition} per {reference}"
    adjudication: "two reviewers, a third on disagreement"
  overall:
    n: {n_val}
    prevalence: {prevalence:.3f}
    auc_roc: {auc:.3f}
    auc_ci95: {_ci(auc, n_val * prevalence)}
    sensitivity: {sens:.3f}
    specificity: {spec:.3f}
    ppv: {ppv:.3f}
    npv: {npv:.3f}
    calibration_slope: {rng.uniform(0.9, 1.1):.2f}
    brier: {rng.uniform(0.04, 0.09):.3f}
    threshold: {rng.uniform(0.08, 0.3):.2f}
  subgroups:
{chr(10).join(subgroups)}
  robustness:
    - name: "missing vitals"
      result: "AUROC drop {rng.uniform(0.002, 0.02):.3f} with 20 percent of vitals removed"
      passed: true
model_card:
  limitations: "Trained at three sites in one region; validate locally first."
  ethical_considerations: "Subgroup performance is reviewed at every release."
  explainability: "Per-patient SHAP contributions are shown with each score."
monitoring:
  drift:
    metric: psi
    threshold: 0.2
  performance:
    metric: auc_roc
    max_drop: 0.05
  subgroups: [age_band, sex, race, ethnicity]
  review_interval_days: 90
  rollback_criteria: "AUROC drop above 0.05 for two weeks or any subgroup below 0.70"
"""


# ---------------------------------------------------------------- writing


def clean_git_env() -> dict[str, str]:
    """No inherited GIT_* variables, no user or system config, a fixed identity."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
               GIT_AUTHOR_NAME=IDENTITY[0], GIT_AUTHOR_EMAIL=IDENTITY[1],
               GIT_COMMITTER_NAME=IDENTITY[0], GIT_COMMITTER_EMAIL=IDENTITY[1])
    return env


def git(repo: Path, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True,
                            env=env or clean_git_env(), check=False)
    if result.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed ({result.returncode}):\n"
                         f"{result.stderr.decode(errors='replace')}")


# Synthetic registries carry no signed approvals (and no Rego policies): merged manifests are
# deployable, so the sync benchmark measures MLflow traffic, not signature checks.
TRUST_YAML = """apiVersion: clinigate/v1
kind: Trust
require_signed_approvals: false
"""


MODEL_DOCUMENTS = 4  # model.yaml, pccp.yaml, risk.yaml, deployment.yaml in each model folder


def document_count(models: int, versions: int) -> int:
    """The registry documents validate judges in a generated registry of ``models`` models with
    ``versions`` versions each: every model folder's files and versions, roles.yaml, trust.yaml."""
    return models * (versions + MODEL_DOCUMENTS) + 2


def static_files() -> dict[str, str]:
    files = {"policies/data/roles.yaml": roles_yaml(), "policies/trust/trust.yaml": TRUST_YAML}
    for schema in sorted(SCHEMAS.glob("*.schema.json")):
        files[f"schemas/{schema.name}"] = schema.read_text(encoding="utf-8")
    return files


def final_files(plans: list[ModelPlan], seed: int) -> Iterator[tuple[str, str]]:
    """The registry's working tree: one commit's worth (no --history)."""
    yield from static_files().items()
    for m in plans:
        base = f"models/{m.name}"
        yield f"{base}/model.yaml", model_yaml(m)
        yield f"{base}/pccp.yaml", pccp_yaml(m)
        yield f"{base}/risk.yaml", risk_yaml(m)
        yield f"{base}/deployment.yaml", deployment_yaml(m, len(m.versions), 0)
        for i in range(len(m.versions)):
            yield f"{base}/versions/{m.versions[i]}.yaml", version_yaml(m, i, seed)


def write_tree(out: Path, plans: list[ModelPlan], seed: int) -> int:
    made: set[Path] = set()
    count = 0
    for relpath, text in final_files(plans, seed):
        path = out / relpath
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        path.write_bytes(text.encode("utf-8"))
        count += 1
    return count


def single_commit(out: Path) -> None:
    env = clean_git_env()
    stamp = f"@{EPOCH} +0000"
    env.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
    git(out, "init", "-q", "-b", "main", env=env)
    git(out, "add", "-A", env=env)
    git(out, "commit", "-q", "--no-verify", "-m", "Synthetic registry", env=env)
    git(out, "repack", "-a", "-d", "-q")  # packed, like a clone, not 10,000 loose objects


def history_commits(plans: list[ModelPlan], seed: int, commits: int
                    ) -> Iterator[tuple[str, dict[str, str]]]:
    """(message, {path: text}) per commit; the last state equals a complete registry."""
    rng = random.Random(f"{seed}/history")
    revision = {m.name: 0 for m in plans}
    available = {m.name: 1 for m in plans}
    first = static_files()
    for m in plans:
        base = f"models/{m.name}"
        first[f"{base}/model.yaml"] = model_yaml(m)
        first[f"{base}/pccp.yaml"] = pccp_yaml(m)
        first[f"{base}/risk.yaml"] = risk_yaml(m)
        first[f"{base}/versions/{m.versions[0]}.yaml"] = version_yaml(m, 0, seed)
        first[f"{base}/deployment.yaml"] = deployment_yaml(m, 1, 0)
    yield f"Register {len(plans)} models with their first versions", first

    # version additions in time order: every model's i-th version before any (i+1)-th
    additions = []
    for i in range(1, len(plans[0].versions) if plans else 0):
        wave = list(plans)
        rng.shuffle(wave)
        additions += [(m, i) for m in wave]
    slots = commits - 1
    if slots <= 0:
        return
    if slots < len(additions):  # batches of versions; touched deployments follow
        for c in range(slots):
            batch = additions[len(additions) * c // slots: len(additions) * (c + 1) // slots]
            files: dict[str, str] = {}
            for m, i in batch:
                files[f"models/{m.name}/versions/{m.versions[i]}.yaml"] = version_yaml(m, i, seed)
                available[m.name] = i + 1
            for m in {m.name: m for m, _ in batch}.values():
                revision[m.name] += 1
                files[f"models/{m.name}/deployment.yaml"] = deployment_yaml(
                    m, available[m.name], revision[m.name])
            yield f"Add {len(batch)} versions", files
        return
    events = ["v"] * len(additions) + ["d"] * (slots - len(additions))
    rng.shuffle(events)
    queue = iter(additions)
    for event in events:
        if event == "v":
            m, i = next(queue)
            available[m.name] = i + 1
            yield (f"{m.name}: add version {m.versions[i]}",
                   {f"models/{m.name}/versions/{m.versions[i]}.yaml": version_yaml(m, i, seed)})
        else:
            m = plans[rng.randrange(len(plans))]
            revision[m.name] += 1
            yield (f"{m.name}: deployment revision {revision[m.name]}",
                   {f"models/{m.name}/deployment.yaml": deployment_yaml(
                       m, available[m.name], revision[m.name])})


def fast_import(out: Path, plans: list[ModelPlan], seed: int, commits: int) -> int:
    step = max(1, SPAN_SECONDS // max(1, commits))
    who = f"{IDENTITY[0]} <{IDENTITY[1]}>"
    chunks: list[bytes] = []
    for n, (message, files) in enumerate(history_commits(plans, seed, commits)):
        stamp = f"{EPOCH + n * step} +0000"
        msg = message.encode()
        chunks.append(f"commit refs/heads/main\nauthor {who} {stamp}\ncommitter {who} {stamp}\n"
                      f"data {len(msg)}\n".encode() + msg + b"\n")
        for path, text in files.items():
            data = text.encode("utf-8")
            chunks.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
    git(out, "init", "-q", "-b", "main")
    git(out, "fast-import", "--quiet", "--done", stdin=b"".join(chunks) + b"done\n")
    git(out, "reset", "-q", "--hard", "main")  # materialise the working tree and the index
    return n + 1


def generate(out: Path, *, models: int, versions: int, history: int | None = None,
             seed: int = 0) -> dict[str, int]:
    """Create the registry in ``out`` (which must be missing or empty); return counts."""
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out} is not empty; choose a new folder or pass --force")
    out.mkdir(parents=True, exist_ok=True)
    plans = plan_models(models, versions, seed)
    if history and history > 1:
        commits = fast_import(out, plans, seed, history)
    else:
        write_tree(out, plans, seed)
        single_commit(out)
        commits = 1
    return {"models": models, "versions": models * versions,
            "documents": document_count(models, versions), "commits": commits}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="folder to create (missing or empty)")
    parser.add_argument("--models", type=int, required=True, help="number of models (M)")
    parser.add_argument("--versions", type=int, required=True, help="versions per model (V)")
    parser.add_argument("--history", type=int, default=None,
                        help="number of commits (H); default: one commit")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--force", action="store_true", help="delete OUT first if it exists")
    args = parser.parse_args(argv)
    if args.models < 1 or not 1 <= args.versions <= 2500:
        parser.error("--models must be ≥ 1 and --versions between 1 and 2500")
    if args.history is not None and args.history < 1:
        parser.error("--history must be ≥ 1")
    if args.force and args.out.exists():
        shutil.rmtree(args.out)
    started = time.perf_counter()
    counts = generate(args.out, models=args.models, versions=args.versions,
                      history=args.history, seed=args.seed)
    print(f"{args.out}: {counts['models']} models, {counts['versions']} versions, "
          f"{counts['documents']} documents, {counts['commits']} commits "
          f"in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
