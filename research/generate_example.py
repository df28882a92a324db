#!/usr/bin/env python3
"""Generate the EXAMPLE research data for the fictional company "Northwind Pipelines".

Northwind Pipelines is a made-up SaaS CI/CD and deployment-observability platform.
Everything this script writes is fake and exists only so that the repository has
something to check, segment and publish out of the box. Replace it with real research
(see research/README.md).

Run it from anywhere:

    python research/generate_example.py

It is seeded and uses only the standard library, so every run writes byte-identical
files next to this script:

    survey-2026.csv       ~600 survey respondents
    interviews-2026.csv   32 interview notes (quotes used verbatim by the personas)
    analytics-2026.csv    weekly product analytics per account (~8,000 rows)
    example-truth.json    how many respondents were planted in each segment

Four segments are planted, one per example persona. The segment label is never
written to the CSVs; only the counts and shares go to example-truth.json.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import random
from pathlib import Path

SEED = 20261115
N_RESPONDENTS = 600
NOISE = 0.05  # share of answers drawn from another segment's profile
OUT_DIR = Path(__file__).resolve().parent

SURVEY_START = dt.date(2026, 8, 3)
SURVEY_END = dt.date(2026, 9, 30)
ANALYTICS_FIRST_MONDAY = dt.date(2026, 5, 25)
ANALYTICS_WEEKS = 18
ANALYTICS_COVERAGE = 0.85  # share of respondents whose company is a Northwind account

TOOLS = [
    "GitHub Actions",
    "GitLab CI",
    "Jenkins",
    "CircleCI",
    "ArgoCD",
    "Flux",
    "Terraform",
    "Kubernetes",
    "Helm",
    "Docker",
    "Datadog",
    "Grafana",
    "Prometheus",
    "PagerDuty",
    "Sentry",
    "Snyk",
    "HashiCorp Vault",
    "Splunk",
    "ServiceNow",
    "Backstage",
    "Vercel",
]
REGIONS = ["North America", "Europe", "UK & Ireland", "APAC", "LATAM"]

# One profile per planted segment. Weighted choices are (value, weight) lists.
SEGMENTS: list[dict] = [
    {
        "id": "platform-lead-priya",
        "weight": 0.34,
        "roles": [
            (("Head of Platform Engineering", "director", "Platform Engineering"), 0.35),
            (("Director of Platform Engineering", "director", "Platform Engineering"), 0.2),
            (("Platform Engineering Lead", "lead", "Platform Engineering"), 0.2),
            (("Director of Infrastructure", "director", "Infrastructure"), 0.15),
            (("VP of Infrastructure", "vp", "Infrastructure"), 0.1),
        ],
        "company_size": [("51-200", 0.1), ("201-1000", 0.65), ("1001-5000", 0.25)],
        "industry": [
            ("SaaS", 0.4),
            ("fintech", 0.2),
            ("e-commerce", 0.2),
            ("media", 0.1),
            ("logistics", 0.1),
        ],
        "region": [
            ("North America", 0.45),
            ("Europe", 0.3),
            ("UK & Ireland", 0.1),
            ("APAC", 0.1),
            ("LATAM", 0.05),
        ],
        "years": (15, 4),
        "deploys": (180, 0.45),
        "team": (12, 0.35),
        "tools": {
            "Kubernetes": 0.9,
            "Terraform": 0.85,
            "ArgoCD": 0.7,
            "Helm": 0.6,
            "Prometheus": 0.65,
            "Grafana": 0.7,
            "Jenkins": 0.45,
            "GitHub Actions": 0.45,
            "Backstage": 0.4,
            "Datadog": 0.25,
            "HashiCorp Vault": 0.3,
            "GitLab CI": 0.2,
            "Docker": 0.5,
        },
        "top_goal": [
            ("standardise pipelines across teams", 0.5),
            ("control CI/CD spend", 0.3),
            ("improve developer experience", 0.2),
        ],
        "biggest_pain": [
            ("pipeline sprawl across teams", 0.5),
            ("no visibility into CI/CD cost", 0.3),
            ("toil maintaining build runners", 0.2),
        ],
        "buying_role": [("decision-maker", 0.65), ("budget-holder", 0.2), ("influencer", 0.15)],
        "likert": {
            "sat_reliability": 3.0,
            "sat_speed": 3.2,
            "sat_cost_visibility": 1.7,
            "sat_compliance": 3.4,
        },
        "nps": 7.0,
        "channel": [
            ("peer Slack communities", 0.4),
            ("conference talks", 0.35),
            ("technical docs", 0.15),
            ("newsletters", 0.1),
        ],
        "analytics": {
            "runs_per_deploy": 4.0,
            "fail_rate": 0.035,
            "dash_per_seat": 0.8,
            "cost_views": 6.0,
            "audit_exports": 0.3,
            "seats": 90,
        },
        "comments": [
            "We need one paved road for every team, not another tool.",
            "Cost per team is the report I keep getting asked for.",
            "Runner maintenance eats most of my platform team's week.",
            "Would love a Terraform provider for everything.",
            "Hard to get teams off their hand-rolled pipelines.",
        ],
    },
    {
        "id": "eng-manager-marco",
        "weight": 0.28,
        "roles": [
            (("Engineering Manager", "manager", "Engineering"), 0.6),
            (("Senior Engineering Manager", "manager", "Engineering"), 0.25),
            (("Engineering Team Lead", "lead", "Engineering"), 0.15),
        ],
        "company_size": [("11-50", 0.05), ("51-200", 0.45), ("201-1000", 0.45), ("1001-5000", 0.05)],
        "industry": [("SaaS", 0.45), ("e-commerce", 0.2), ("fintech", 0.15), ("media", 0.1), ("gaming", 0.1)],
        "region": [
            ("North America", 0.4),
            ("Europe", 0.3),
            ("UK & Ireland", 0.15),
            ("APAC", 0.1),
            ("LATAM", 0.05),
        ],
        "years": (11, 3),
        "deploys": (35, 0.45),
        "team": (8, 0.3),
        "tools": {
            "GitHub Actions": 0.6,
            "Datadog": 0.8,
            "PagerDuty": 0.8,
            "Sentry": 0.35,
            "Jenkins": 0.45,
            "GitLab CI": 0.35,
            "Docker": 0.25,
            "Kubernetes": 0.3,
            "Terraform": 0.2,
        },
        "top_goal": [
            ("ship faster with predictable releases", 0.4),
            ("reduce failed deployments", 0.35),
            ("see deployment health in one place", 0.25),
        ],
        "biggest_pain": [
            ("failed deployments reach production", 0.4),
            ("no single view of deployment health", 0.35),
            ("release dates slip", 0.25),
        ],
        "buying_role": [("budget-holder", 0.45), ("influencer", 0.35), ("decision-maker", 0.2)],
        "likert": {
            "sat_reliability": 1.8,
            "sat_speed": 3.2,
            "sat_cost_visibility": 2.9,
            "sat_compliance": 3.3,
        },
        "nps": 8.0,
        "channel": [
            ("newsletters", 0.35),
            ("LinkedIn", 0.25),
            ("podcasts", 0.2),
            ("peer Slack communities", 0.2),
        ],
        "analytics": {
            "runs_per_deploy": 3.0,
            "fail_rate": 0.09,
            "dash_per_seat": 3.0,
            "cost_views": 1.2,
            "audit_exports": 0.1,
            "seats": 25,
        },
        "comments": [
            "I hear about broken deploys from customers first.",
            "Rollbacks should be one click.",
            "DORA metrics we can trust would help a lot.",
            "Release day is still stressful for the team.",
            "Need a red/green view per service for my team.",
        ],
    },
    {
        "id": "developer-dev",
        "weight": 0.24,
        "roles": [
            (("Senior Software Engineer", "senior", "Engineering"), 0.5),
            (("Software Engineer", "individual-contributor", "Engineering"), 0.25),
            (("Full-Stack Developer", "individual-contributor", "Engineering"), 0.15),
            (("Founding Engineer", "senior", "Engineering"), 0.1),
        ],
        "company_size": [("1-10", 0.35), ("11-50", 0.55), ("51-200", 0.1)],
        "industry": [
            ("SaaS", 0.4),
            ("developer tools", 0.3),
            ("gaming", 0.1),
            ("e-commerce", 0.1),
            ("media", 0.1),
        ],
        "region": [
            ("North America", 0.35),
            ("Europe", 0.3),
            ("UK & Ireland", 0.1),
            ("APAC", 0.15),
            ("LATAM", 0.1),
        ],
        "years": (7, 3),
        "deploys": (20, 0.5),
        "team": (5, 0.35),
        "tools": {
            "GitHub Actions": 0.85,
            "Docker": 0.8,
            "Vercel": 0.45,
            "Sentry": 0.5,
            "CircleCI": 0.2,
            "Terraform": 0.15,
            "Kubernetes": 0.15,
        },
        "top_goal": [
            ("faster build feedback", 0.55),
            ("ship faster with predictable releases", 0.2),
            ("improve developer experience", 0.25),
        ],
        "biggest_pain": [
            ("slow builds", 0.5),
            ("flaky tests and pipelines", 0.35),
            ("too much pipeline configuration", 0.15),
        ],
        "buying_role": [("user", 0.6), ("influencer", 0.4)],
        "likert": {
            "sat_reliability": 3.5,
            "sat_speed": 1.9,
            "sat_cost_visibility": 3.6,
            "sat_compliance": 4.2,
        },
        "nps": 9.0,
        "channel": [("technical docs", 0.4), ("GitHub", 0.3), ("Hacker News", 0.2), ("podcasts", 0.1)],
        "analytics": {
            "runs_per_deploy": 5.0,
            "fail_rate": 0.12,
            "dash_per_seat": 0.3,
            "cost_views": 0.05,
            "audit_exports": 0.0,
            "seats": 6,
        },
        "comments": [
            "Builds are too slow, caching would fix most of it.",
            "Less YAML please.",
            "The free tier is why we tried it.",
            "Flaky pipelines waste my afternoons.",
            "Docs with copy-paste examples are great.",
        ],
    },
    {
        "id": "compliance-officer-carla",
        "weight": 0.14,
        "roles": [
            (("Head of Security & Compliance", "director", "Security"), 0.3),
            (("Compliance Lead", "lead", "Governance, Risk & Compliance"), 0.3),
            (("GRC Manager", "manager", "Governance, Risk & Compliance"), 0.2),
            (("DevSecOps Lead", "lead", "Security"), 0.15),
            (("CISO", "c-level", "Security"), 0.05),
        ],
        "company_size": [("201-1000", 0.1), ("1001-5000", 0.65), ("5001+", 0.25)],
        "industry": [("fintech", 0.3), ("banking", 0.25), ("healthcare", 0.25), ("insurance", 0.2)],
        "region": [("North America", 0.3), ("Europe", 0.4), ("UK & Ireland", 0.2), ("APAC", 0.1)],
        "years": (13, 4),
        "deploys": (60, 0.5),
        "team": (5, 0.3),
        "tools": {
            "Jenkins": 0.65,
            "GitLab CI": 0.5,
            "Snyk": 0.7,
            "HashiCorp Vault": 0.65,
            "Splunk": 0.6,
            "ServiceNow": 0.6,
            "Terraform": 0.3,
            "Kubernetes": 0.35,
            "Datadog": 0.15,
        },
        "top_goal": [
            ("pass audits with less manual effort", 0.6),
            ("enforce security policy in pipelines", 0.4),
        ],
        "biggest_pain": [
            ("manual audit evidence collection", 0.55),
            ("unreviewed changes reach production", 0.25),
            ("secrets and access sprawl", 0.2),
        ],
        "buying_role": [("influencer", 0.55), ("decision-maker", 0.3), ("budget-holder", 0.15)],
        "likert": {
            "sat_reliability": 3.4,
            "sat_speed": 3.6,
            "sat_cost_visibility": 3.0,
            "sat_compliance": 1.6,
        },
        "nps": 5.0,
        "channel": [("analyst reports", 0.45), ("vendor webinars", 0.35), ("LinkedIn", 0.2)],
        "analytics": {
            "runs_per_deploy": 2.0,
            "fail_rate": 0.03,
            "dash_per_seat": 0.4,
            "cost_views": 0.5,
            "audit_exports": 4.0,
            "seats": 140,
        },
        "comments": [
            "Audit evidence export is the feature we bought it for.",
            "Need approvals linked to every production change.",
            "Our auditors want immutable logs.",
            "Secrets handling must be reviewed by our security team.",
            "SSO and SCIM are non-negotiable.",
        ],
    },
]

SURVEY_COLUMNS = [
    "respondent_id",
    "job_title",
    "seniority",
    "department",
    "company_size",
    "industry",
    "region",
    "years_experience",
    "deploys_per_week",
    "team_size",
    "tools_used",
    "top_goal",
    "biggest_pain",
    "buying_role",
    "sat_reliability",
    "sat_speed",
    "sat_cost_visibility",
    "sat_compliance",
    "nps",
    "preferred_channel",
    "responded_on",
    "email",
    "free_text_comment",
]
INTERVIEW_COLUMNS = [
    "interview_id",
    "respondent_id",
    "interviewee_name",
    "role",
    "company_size",
    "date",
    "theme",
    "quote",
    "notes",
]
ANALYTICS_COLUMNS = [
    "respondent_id",
    "week",
    "pipelines_run",
    "failed_deploys",
    "dashboard_views",
    "cost_report_views",
    "audit_log_exports",
    "seats_active",
]

# Interview quotes per segment, as (theme, quote, observation). Personas copy them verbatim.
INTERVIEW_SCRIPT: dict[str, list[tuple[str, str, str]]] = {
    "platform-lead-priya": [
        (
            "pipeline standardisation",
            "We have forty teams and something like sixty ways to deploy. I don't need another "
            "tool, I need one paved road that teams actually want to use.",
            "Wants a golden path; wary of adding yet another tool.",
        ),
        (
            "CI/CD cost",
            "Every quarter finance asks me what CI costs per team, and every quarter I spend a "
            "week in spreadsheets guessing.",
            "Showback per team is an explicit buying trigger.",
        ),
        (
            "platform adoption",
            "If the golden path is slower than the hack a team wrote themselves, they will keep "
            "the hack. Adoption is earned, not mandated.",
            "Measures platform success by voluntary adoption.",
        ),
        (
            "platform toil",
            "My platform team is six people supporting three hundred engineers. Anything that "
            "needs babysitting is a non-starter.",
            "Small platform team; self-hosted runners are a big source of toil.",
        ),
        (
            "deployment visibility",
            "I want to see who deployed what, across every service, and whether it worked, "
            "without opening five dashboards.",
            "Asked for a cross-team deployment timeline.",
        ),
        (
            "migration",
            "Jenkins isn't going away this year. Whatever we buy has to live next to it, not "
            "replace it on day one.",
            "Needs incremental migration; legacy Jenkins estate.",
        ),
        (
            "CI/CD cost",
            "The runners are where the money leaks. Idle capacity at 3am that nobody owns.",
            "Suspects heavy over-provisioning of build capacity.",
        ),
        (
            "metrics",
            "When I pitch a platform investment to the CTO I need numbers: lead time, change "
            "failure rate, cost per deploy.",
            "Builds business cases on DORA metrics plus cost.",
        ),
        (
            "pipeline standardisation",
            "Standardising is easy on a slide. The hard part is the twenty per cent of services "
            "that are special snowflakes.",
            "Needs escape hatches for non-standard services.",
        ),
        (
            "buying process",
            "I judge a vendor by their Terraform provider and their API docs before I ever talk to sales.",
            "Evaluates technically first; sales comes late.",
        ),
    ],
    "eng-manager-marco": [
        (
            "deployment visibility",
            "I find out a deploy broke something from a customer ticket, not from our tooling. "
            "That's backwards.",
            "No deployment-to-incident correlation today.",
        ),
        (
            "release predictability",
            "My team loses most of Friday afternoon babysitting the release train.",
            "Weekly release train; manual checks before each release.",
        ),
        (
            "deployment health",
            "I don't want to read pipeline logs. I want a red or green answer and a link to "
            "whoever can fix it.",
            "Wants summaries, not raw logs.",
        ),
        (
            "release predictability",
            "When a release slips, my director asks me why, and I honestly can't tell if it was "
            "the tests, the environment or us.",
            "Lacks data to explain delays upward.",
        ),
        (
            "failed deployments",
            "Rollbacks are still a manual runbook on a wiki page. Half the team has never done one.",
            "Rollback is manual and rarely practised.",
        ),
        (
            "team productivity",
            "I'd pay for anything that gives my engineers two hours a week back. That's the "
            "budget conversation I can win.",
            "Frames purchases as engineering time saved.",
        ),
        (
            "metrics",
            "We track DORA metrics in a spreadsheet someone updates by hand once a month, so "
            "nobody trusts them.",
            "Manual metrics; low trust.",
        ),
        (
            "on-call",
            "On-call is burning people out, and half of the pages are bad deploys we could have "
            "caught earlier.",
            "On-call load driven by change failures.",
        ),
        (
            "deployment health",
            "I need to show my VP that we're shipping more safely, not just more often.",
            "Reports upward on delivery safety.",
        ),
    ],
    "developer-dev": [
        (
            "build speed",
            "If the build takes longer than making a coffee, I've already context-switched to "
            "something else.",
            "Build time is the top frustration.",
        ),
        (
            "flaky pipelines",
            "I retry a failed pipeline twice before I even read the error, because usually it's flaky.",
            "Retry-first habit due to flaky tests.",
        ),
        (
            "configuration",
            "I don't want to learn another YAML dialect. Give me sane defaults and get out of my way.",
            "Prefers conventions over configuration.",
        ),
        (
            "self-serve evaluation",
            "If I can't try it with a free account and my own repo in ten minutes, I'm not going "
            "to book a demo.",
            "Self-serve trial is a must; avoids sales calls.",
        ),
        (
            "ownership",
            "We're eight engineers. Nobody's job is DevOps, so it's everybody's job, which means "
            "it's nobody's job.",
            "No dedicated DevOps; CI is shared chores.",
        ),
        (
            "build speed",
            "Caching is the one thing that would change my day. Our dependency install is most of the build.",
            "Dependency install dominates build time.",
        ),
        (
            "self-serve evaluation",
            "Good docs with copy-paste examples beat any sales deck. I read the docs first, always.",
            "Docs are the main evaluation channel.",
        ),
        (
            "debugging",
            "When a deploy fails at 6pm I want the log line that matters, not four thousand lines of scroll.",
            "Wants failure summaries pointing at the root cause.",
        ),
    ],
    "compliance-officer-carla": [
        (
            "audit evidence",
            "Every audit I spend three weeks screenshotting pipeline runs to prove that someone "
            "approved each change.",
            "Evidence collection is manual and slow.",
        ),
        (
            "policy enforcement",
            "I don't need developers to love the controls. I need the controls to happen without "
            "developers noticing.",
            "Wants controls built into the pipeline.",
        ),
        (
            "audit evidence",
            "Show me an exportable, tamper-evident log of who approved and who deployed, and you "
            "have my attention.",
            "Tamper-evident audit export is the buying trigger.",
        ),
        (
            "change control",
            "Our regulator asks how we know production matches what was reviewed. Today the "
            "honest answer is trust.",
            "Cannot prove review-to-production traceability.",
        ),
        (
            "access control",
            "I won't sign off on a tool that stores secrets somewhere our security team can't see.",
            "Holds a veto on tools handling secrets.",
        ),
    ],
}

FAKE_FIRST_NAMES = [
    "Avery",
    "Blake",
    "Casey",
    "Dana",
    "Eden",
    "Frankie",
    "Gray",
    "Harper",
    "Indy",
    "Jules",
    "Kai",
    "Lee",
    "Morgan",
    "Noor",
    "Oakley",
    "Parker",
    "Quinn",
    "Reese",
    "Sage",
    "Toby",
    "Uma",
    "Val",
    "Wren",
    "Yael",
    "Zed",
    "Ari",
    "Bo",
    "Cam",
    "Drew",
    "Ellis",
    "Finley",
    "Gus",
]
FAKE_SURNAMES = ["Example", "Sample", "Placeholder", "Testperson", "Fakename", "Demo"]


def weighted(rng: random.Random, options: list[tuple]) -> object:
    values = [value for value, _ in options]
    weights = [weight for _, weight in options]
    return rng.choices(values, weights=weights, k=1)[0]


def profile_for(rng: random.Random, seg: int) -> dict:
    """The segment's own profile, or with probability NOISE another segment's (noise)."""
    if rng.random() < NOISE:
        others = [i for i in range(len(SEGMENTS)) if i != seg]
        return SEGMENTS[rng.choice(others)]
    return SEGMENTS[seg]


def lognormal_int(rng: random.Random, median: float, sigma: float, low: int = 1) -> int:
    return max(low, round(median * math.exp(rng.gauss(0.0, sigma))))


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def clip(value: float, low: int, high: int) -> int:
    return int(min(high, max(low, round(value))))


def make_survey(rng: random.Random) -> tuple[list[dict], list[int]]:
    weights = [s["weight"] for s in SEGMENTS]
    labels = rng.choices(range(len(SEGMENTS)), weights=weights, k=N_RESPONDENTS)
    span = (SURVEY_END - SURVEY_START).days
    rows = []
    for n, seg in enumerate(labels, start=1):
        rid = f"S{n:04d}"
        title, seniority, department = weighted(rng, profile_for(rng, seg)["roles"])
        tool_profile = profile_for(rng, seg)["tools"]
        tools = [t for t in TOOLS if rng.random() < tool_profile.get(t, 0.03)]
        if not tools:
            tools = [max(tool_profile, key=tool_profile.get)]
        years_mean, years_sd = profile_for(rng, seg)["years"]
        row = {
            "respondent_id": rid,
            "job_title": title,
            "seniority": seniority,
            "department": department,
            "company_size": weighted(rng, profile_for(rng, seg)["company_size"]),
            "industry": weighted(rng, profile_for(rng, seg)["industry"]),
            "region": weighted(rng, profile_for(rng, seg)["region"]),
            "years_experience": clip(rng.gauss(years_mean, years_sd), 1, 40),
            "deploys_per_week": lognormal_int(rng, *profile_for(rng, seg)["deploys"]),
            "team_size": lognormal_int(rng, *profile_for(rng, seg)["team"], low=2),
            "tools_used": ";".join(tools),
            "top_goal": weighted(rng, profile_for(rng, seg)["top_goal"]),
            "biggest_pain": weighted(rng, profile_for(rng, seg)["biggest_pain"]),
            "buying_role": weighted(rng, profile_for(rng, seg)["buying_role"]),
        }
        for col in ("sat_reliability", "sat_speed", "sat_cost_visibility", "sat_compliance"):
            row[col] = clip(rng.gauss(profile_for(rng, seg)["likert"][col], 0.7), 1, 5)
        row["nps"] = clip(rng.gauss(profile_for(rng, seg)["nps"], 1.4), 0, 10)
        row["preferred_channel"] = weighted(rng, profile_for(rng, seg)["channel"])
        row["responded_on"] = (SURVEY_START + dt.timedelta(days=rng.randint(0, span))).isoformat()
        row["email"] = f"{rid.lower()}@example.com"
        comment_pool = profile_for(rng, seg)["comments"]
        row["free_text_comment"] = rng.choice(comment_pool) if rng.random() < 0.65 else ""
        rows.append(row)
    return rows, labels


def make_interviews(rng: random.Random, survey: list[dict], labels: list[int]) -> list[dict]:
    last_survey = max(dt.date.fromisoformat(r["responded_on"]) for r in survey)
    names = [f"{first} {last}" for last in FAKE_SURNAMES for first in FAKE_FIRST_NAMES]
    names = rng.sample(names, sum(len(v) for v in INTERVIEW_SCRIPT.values()))
    interviews = []
    for seg_index, seg in enumerate(SEGMENTS):
        titles = {title for (title, _, _), _ in seg["roles"]}
        sizes = {size for size, w in seg["company_size"] if w >= 0.25}
        candidates = [
            r
            for r, label in zip(survey, labels, strict=True)
            if label == seg_index
            and r["job_title"] in titles
            and r["company_size"] in sizes
            and r["responded_on"] <= (last_survey - dt.timedelta(days=10)).isoformat()
        ]
        script = INTERVIEW_SCRIPT[seg["id"]]
        for resp, (theme, quote, observation) in zip(
            rng.sample(candidates, len(script)), script, strict=True
        ):
            day = dt.date.fromisoformat(resp["responded_on"]) + dt.timedelta(days=rng.randint(3, 10))
            tools = resp["tools_used"].split(";")[:3]
            notes = (
                f"{resp['job_title']}, {resp['industry']} company with {resp['company_size']} "
                f"employees ({resp['region']}). Uses {', '.join(tools)}. {observation}"
            )
            interviews.append(
                {
                    "respondent_id": resp["respondent_id"],
                    "interviewee_name": names[len(interviews)],
                    "role": resp["job_title"],
                    "company_size": resp["company_size"],
                    "date": min(day, last_survey).isoformat(),
                    "theme": theme,
                    "quote": quote,
                    "notes": notes,
                }
            )
    interviews.sort(key=lambda r: (r["date"], r["respondent_id"]))
    return [{"interview_id": f"I{i:02d}", **row} for i, row in enumerate(interviews, start=1)]


def make_analytics(rng: random.Random, survey: list[dict], labels: list[int]) -> list[dict]:
    rows = []
    for resp, seg in zip(survey, labels, strict=True):
        if rng.random() >= ANALYTICS_COVERAGE:
            continue  # prospect: not (yet) a Northwind account
        behaviour = profile_for(rng, seg)["analytics"]
        seats = lognormal_int(rng, behaviour["seats"], 0.35)
        deploys = max(1, int(resp["deploys_per_week"]))
        first_week = 0 if rng.random() < 0.75 else rng.randint(1, ANALYTICS_WEEKS - 4)
        for week in range(first_week, ANALYTICS_WEEKS):
            monday = ANALYTICS_FIRST_MONDAY + dt.timedelta(weeks=week)
            activity = max(0.2, rng.gauss(1.0, 0.15)) * (0.85 if monday.month == 8 else 1.0)
            pipelines = poisson(rng, deploys * behaviour["runs_per_deploy"] * activity)
            seats_week = max(1, round(seats * min(1.0, activity + rng.uniform(-0.1, 0.1))))
            rows.append(
                {
                    "respondent_id": resp["respondent_id"],
                    "week": monday.isoformat(),
                    "pipelines_run": pipelines,
                    "failed_deploys": poisson(rng, deploys * activity * behaviour["fail_rate"]),
                    "dashboard_views": poisson(rng, seats_week * behaviour["dash_per_seat"]),
                    "cost_report_views": poisson(rng, behaviour["cost_views"] * activity),
                    "audit_log_exports": poisson(rng, behaviour["audit_exports"] * activity),
                    "seats_active": seats_week,
                }
            )
    return rows


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    rng = random.Random(SEED)
    survey, labels = make_survey(rng)
    interviews = make_interviews(rng, survey, labels)
    analytics = make_analytics(rng, survey, labels)

    write_csv(OUT_DIR / "survey-2026.csv", SURVEY_COLUMNS, survey)
    write_csv(OUT_DIR / "interviews-2026.csv", INTERVIEW_COLUMNS, interviews)
    write_csv(OUT_DIR / "analytics-2026.csv", ANALYTICS_COLUMNS, analytics)

    segments = {}
    for index, seg in enumerate(SEGMENTS):
        count = labels.count(index)
        segments[seg["id"]] = {
            "count": count,
            "share": round(count / len(survey), 2),
            "share_exact": round(count / len(survey), 4),
            "interviews": len(INTERVIEW_SCRIPT[seg["id"]]),
        }
    truth = {
        "note": "Planted segments of the generated example data (generate_example.py).",
        "seed": SEED,
        "respondents": len(survey),
        "interviews": len(interviews),
        "analytics_rows": len(analytics),
        "last_survey_date": max(r["responded_on"] for r in survey),
        "segments": segments,
    }
    with (OUT_DIR / "example-truth.json").open("w", encoding="utf-8", newline="\n") as fh:
        json.dump(truth, fh, indent=2)
        fh.write("\n")

    print(
        f"Wrote {len(survey)} survey rows, {len(interviews)} interviews and "
        f"{len(analytics)} analytics rows to {OUT_DIR}"
    )
    for seg_id, info in segments.items():
        print(f"  {seg_id:<26} {info['count']:>4}  {info['share']:.2f}")


if __name__ == "__main__":
    main()
