"""The review server: a blind A/B page over one results dir, its JSON API, the report and disagreement pages.

The pages are static (no data in them) and open; every /api route follows serve's key rules: with keys
configured a key is required (the page asks for it once and keeps it in the tab's sessionStorage), without keys
only loopback clients with a loopback Host are served.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from supportbot.review.labels import HUMAN_LABELS, Label, append_label, latest_labels, now, read_labels
from supportbot.review.pairs import Pair

PAGES = ("review.html", "report.html")
OPEN_PAGES = frozenset({"/", "/report", "/disagreements", "/healthz", "/review.js", "/review.css"})


class LabelIn(BaseModel):
    """A verdict posted by the page."""

    model_config = {"extra": "forbid"}

    id: str = Field(min_length=1, max_length=200)
    choice: Literal["A", "B", "tie", "both_wrong"]
    note: str | None = Field(None, max_length=4000)
    correction: str | None = Field(None, max_length=8000)
    reviewer: str | None = Field(None, min_length=1, max_length=100)


def _asset(name: str) -> str:
    return resources.files("supportbot.review").joinpath("page", name).read_text(encoding="utf-8")


def create_review_app(
    results_dir: Path,
    eval_id: str,
    pairs: list[Pair],
    reviewer: str,
    keys: list[str],
    examples: int = 4,
) -> Any:
    """The FastAPI app reviewing `pairs` of `results_dir` (labels appended to its human.jsonl)."""
    from fastapi import FastAPI, HTTPException
    from fastapi.responses import HTMLResponse, Response

    from supportbot.review.agreement import update_eval_report
    from supportbot.serve.auth import AuthMiddleware, KeyChecker

    app = FastAPI(title="supportbot review", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(AuthMiddleware, checker=KeyChecker(keys, open_paths=OPEN_PAGES))
    by_id = {p.id: i for i, p in enumerate(pairs)}
    labels_path = results_dir / HUMAN_LABELS

    def mine(who: str) -> dict[str, Label]:
        return {k[1]: v for k, v in latest_labels(read_labels(labels_path), who).items()}

    def state(who: str) -> dict[str, Any]:
        done = mine(who)
        pending = [i for i, p in enumerate(pairs) if p.id not in done]
        return {
            "eval_id": eval_id,
            "reviewer": who,
            "total": len(pairs),
            "done": sum(p.id in done for p in pairs),
            "next": pending[0] if pending else None,
        }

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return _asset("review.html")

    @app.get("/report", response_class=HTMLResponse)
    @app.get("/disagreements", response_class=HTMLResponse)
    def report_page() -> str:
        return _asset("report.html")

    @app.get("/review.js")
    def script() -> Response:
        return Response(_asset("review.js"), media_type="text/javascript")

    @app.get("/review.css")
    def style() -> Response:
        return Response(_asset("review.css"), media_type="text/css")

    @app.get("/api/state")
    def get_state(reviewer_name: str | None = None) -> dict[str, Any]:
        return state(reviewer_name or reviewer)

    @app.get("/api/items/{index}")
    def get_item(index: int, reviewer_name: str | None = None) -> dict[str, Any]:
        if not 0 <= index < len(pairs):
            raise HTTPException(404, f"item {index}: there are {len(pairs)} items (0-{len(pairs) - 1})")
        who = reviewer_name or reviewer
        pair = pairs[index]
        label = mine(who).get(pair.id)
        shown = None
        if label is not None:
            shown = {"choice": label.choice, "note": label.note, "correction": label.correction}
        return {**pair.public(), "index": index, "label": shown, **state(who)}

    @app.post("/api/labels")
    def post_label(body: LabelIn) -> dict[str, Any]:
        if body.id not in by_id:
            raise HTTPException(404, f"item {body.id!r} is not in {eval_id}")
        pair = pairs[by_id[body.id]]
        who = body.reviewer or reviewer
        label = Label(
            id=pair.id,
            choice=body.choice,
            a=pair.a,
            b=pair.b,
            reviewer=who,
            note=(body.note or "").strip() or None,
            correction=(body.correction or "").strip() or None,
            time=now(),
        )
        append_label(results_dir, label)
        update_eval_report(results_dir, pairs, examples)
        return state(who)

    @app.get("/api/report")
    def get_report() -> dict[str, Any]:
        from supportbot.review.agreement import human_summary

        human = human_summary(pairs, read_labels(labels_path))
        labels = [
            {"id": lb.id, "reviewer": lb.reviewer, "winner": lb.winner, "note": lb.note, "time": lb.time}
            for lb in latest_labels(read_labels(labels_path)).values()
        ]
        return {"eval_id": eval_id, "human": human, "labels": labels}

    return app
