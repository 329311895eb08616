"""Output enforcement: JSON extraction, validation, the one repair retry and the typed error."""

import json

import pytest

from supportbot.core.config import GenerationConfig
from supportbot.grounded.contract import TroubleshootRequest
from supportbot.grounded.enforce import (
    GroundedOutputError,
    extract_json,
    generate_valid,
    lm_generate_fn,
    validate_output,
)
from supportbot.grounded.prompt import build_grounded_messages, retrieval_query
from supportbot.retrieval.index import Hit

VALID = {
    "predicted_drop_reason": "PAN_GLARE",
    "explanation": "A reflection covers the card.",
    "steps_to_fix": ["Switch off the flash."],
    "confidence_score": 0.8,
    "citations": ["KB-011#0"],
    "nudge_messages": [{"text": "Tilt the phone", "style": "CTA", "language": "en", "compliance_flags": []}],
    "conversational_message": "There is glare on your PAN photo.",
}
TEXT = json.dumps(VALID)


def test_valid_output_parses_into_the_typed_response():
    response, errors = validate_output(TEXT, {"KB-011#0"})
    assert errors == [] and response.citations == ["KB-011#0"] and response.nudge_messages[0].style == "CTA"


@pytest.mark.parametrize(
    "text",
    [
        f"Sure! Here is the answer:\n{TEXT}\nHope this helps {{:)}}",
        f"```json\n{TEXT}\n```",
        TEXT[:-1] + ",}",  # trailing comma
        '{"note": "a } inside a string"} ' + TEXT,  # first object is not the answer → schema error, see below
    ],
)
def test_json_is_extracted_from_prose_fences_and_trailing_commas(text):
    obj = extract_json(text)
    assert isinstance(obj, dict)
    if "note" in obj:
        assert obj == {"note": "a } inside a string"}
    else:
        assert obj == VALID


def test_truncated_json_is_reported_as_truncated():
    response, errors = validate_output(TEXT[: len(TEXT) // 2])
    assert response is None and "truncated" in errors[0]


def test_wrong_types_and_invented_citations_are_errors():
    wrong = dict(VALID, confidence_score="0.8", steps_to_fix="Switch off the flash.")
    _, errors = validate_output(json.dumps(wrong))
    assert any("confidence_score" in e for e in errors) and any("steps_to_fix" in e for e in errors)
    _, errors = validate_output(TEXT, allowed_citations={"KB-010#0"})
    assert errors == ["citations: 'KB-011#0' is not one of the retrieved chunks"]


def scripted(outputs):
    """A generate function that replays hand-written model outputs and records the conversations it saw."""
    seen = []

    def gen(messages):
        seen.append(messages)
        return outputs[len(seen) - 1]

    return gen, seen


def test_one_retry_repairs_an_invalid_first_answer():
    gen, seen = scripted(['{"predicted_drop_reason": "PAN_GLARE"}', f"Fixed: {TEXT}"])
    result = generate_valid(gen, [{"role": "user", "content": "help"}])
    assert result.attempts == 2 and result.response.predicted_drop_reason == "PAN_GLARE"
    repair = seen[1][-1]["content"]
    assert "'explanation' is a required property" in repair and seen[1][-2]["role"] == "assistant"


def test_still_invalid_after_the_retry_raises_a_typed_error():
    gen, seen = scripted(["I cannot help", '{"confidence_score": 2}'])
    with pytest.raises(GroundedOutputError, match="after 2 attempt") as err:
        generate_valid(gen, [{"role": "user", "content": "help"}])
    assert len(seen) == 2 and err.value.outputs == ["I cannot help", '{"confidence_score": 2}']
    assert any("confidence_score" in e for e in err.value.errors)


def test_tiny_random_model_output_takes_the_error_path(tiny_lm):
    request = TroubleshootRequest.model_validate(
        {"user_state": {"funnel_stage": "pan-upload", "error_codes": ["PAN_GLARE"]}}
    )
    hits = [
        Hit("KB-011#0", "KB-011", 1.0, "PAN_GLARE means a bright reflection.", "PAN upload error PAN_GLARE")
    ]
    messages = build_grounded_messages(request, hits)
    gen = lm_generate_fn(tiny_lm, GenerationConfig(max_new_tokens=12), max_new_tokens=12)
    with pytest.raises(GroundedOutputError) as err:
        generate_valid(gen, messages, {"KB-011#0"})
    assert len(err.value.outputs) == 2


def test_prompt_carries_chunks_state_and_query_fallback():
    state = {"funnel_stage": "video-kyc", "error_codes": ["WINDOW_CLOSED"], "time_of_day": "22:10"}
    assert "WINDOW_CLOSED" in retrieval_query(state, None) and "video kyc" in retrieval_query(state, None)
    assert retrieval_query(state, "  why closed? ") == "why closed? WINDOW_CLOSED"
    request = TroubleshootRequest.model_validate({"user_state": state})
    hits = [Hit("KB-002#0", "KB-002", 1.0, "WINDOW_CLOSED means outside hours.", "Error WINDOW_CLOSED")]
    user = build_grounded_messages(request, hits)[1]["content"]
    assert "[KB-002#0] Error WINDOW_CLOSED" in user and '"time_of_day": "22:10"' in user
    assert "cite only these chunk ids: KB-002#0" in user and "User question: (none" in user
