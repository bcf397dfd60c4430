"""Record pydantic-ai's AG-UI server (``AGUIAdapter.dispatch_request``) answering scripted runs.

The model is a ``FunctionModel`` whose stream function plays a fixed script, so the bytes depend
only on pydantic-ai's published code: a real Starlette request is built by httpx's ASGI
transport, ``AGUIAdapter`` parses the ``RunAgentInput`` body, runs the agent, and its
``EventEncoder`` writes the SSE response, which is saved as it came back. Ids and the clock are
seeded (``_determinism``). Run::

    python conformance/agui-python/record_pydantic_ai.py

Writes ``examples/recordings/agui/pydantic-ai-*.sse`` and ``*.truth.json`` (and the request
bodies the continuation scenario sends, ``*.request.json``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from importlib.metadata import version
from typing import Any

import httpx
from _determinism import deterministic
from _truth import OUT, write_recording
from pydantic_ai import Agent, DeferredToolRequests, ModelRetry, RunContext
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models.function import AgentInfo, DeltaThinkingPart, DeltaToolCall, FunctionModel
from pydantic_ai.ui.ag_ui import AGUIAdapter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SENDER = (
    f"pydantic-ai-slim {version('pydantic-ai-slim')} (ag-ui-protocol {version('ag-ui-protocol')})"
)
Script = AsyncIterator[Any]


def _turn(messages: list[ModelMessage]) -> int:
    return sum(isinstance(m, ModelResponse) for m in messages)


async def thinking_text(messages: list[ModelMessage], info: AgentInfo) -> Script:
    yield {0: DeltaThinkingPart(content="The user greets me. ")}
    yield {0: DeltaThinkingPart(content="I answer briefly.")}
    yield {0: DeltaThinkingPart(signature="sig-c2VlZGVk")}
    for piece in ("Hello", "! How can", " I help", " today?"):
        yield piece


async def tools(messages: list[ModelMessage], info: AgentInfo) -> Script:
    if _turn(messages) == 0:
        yield "Checking both"
        yield " cities."
        # Two calls whose argument fragments interleave, then a third that asks for a retry.
        yield {1: DeltaToolCall(name="get_weather", json_args='{"city":', tool_call_id="call_w")}
        yield {2: DeltaToolCall(name="get_time", json_args='{"city":', tool_call_id="call_t")}
        yield {1: DeltaToolCall(json_args=' "Paris"}')}
        yield {2: DeltaToolCall(json_args=' "Tokyo"}')}
        yield {3: DeltaToolCall(name="flaky_lookup", json_args="{}", tool_call_id="call_f")}
    else:
        for piece in ("Paris is sunny, ", "Tokyo time is 09:00; ", "the lookup failed."):
            yield piece


async def approval(messages: list[ModelMessage], info: AgentInfo) -> Script:
    if _turn(messages) == 0:
        yield "I will delete it once you approve."
        yield {
            0: DeltaToolCall(
                name="delete_file", json_args='{"path": "/tmp/old.log"}', tool_call_id="call_del"
            )
        }
    else:
        yield "Deleted /tmp/old.log."


async def frontend_tool(messages: list[ModelMessage], info: AgentInfo) -> Script:
    yield "Let me ask your browser."
    yield {
        0: DeltaToolCall(
            name="pick_color", json_args='{"palette": "warm"}', tool_call_id="call_pick"
        )
    }


async def cancelled(messages: list[ModelMessage], info: AgentInfo) -> Script:
    yield "Starting a long job"
    yield {0: DeltaToolCall(name="long_job", json_args="{}", tool_call_id="call_job")}


async def failing(messages: list[ModelMessage], info: AgentInfo) -> Script:
    yield "Let me look"
    yield " that up"
    raise RuntimeError("upstream model overloaded")


def _agent(stream: Any, **kwargs: Any) -> Agent[None, Any]:
    return Agent(FunctionModel(stream_function=stream, model_name="scripted"), **kwargs)


def _tools_agent(retries: int = 1) -> Agent[None, Any]:
    agent = _agent(tools)

    # sequential=True: the model still asks for the calls in parallel, but they execute one
    # after another, so their results (and a failure cancelling the others) come in one order.
    @agent.tool_plain(sequential=True)
    def get_weather(city: str) -> dict[str, Any]:
        return {"city": city, "sky": "sunny", "celsius": 21}

    @agent.tool_plain(sequential=True)
    def get_time(city: str) -> str:
        return "09:00"

    @agent.tool_plain(retries=retries, sequential=True)
    def flaky_lookup() -> str:
        raise ModelRetry("lookup service unavailable")

    return agent


def _approval_agent() -> Agent[None, Any]:
    agent = _agent(approval, output_type=[str, DeferredToolRequests])

    @agent.tool_plain(requires_approval=True)
    def delete_file(path: str) -> str:
        return f"deleted {path}"

    return agent


def _cancel_agent() -> Agent[None, Any]:
    agent = _agent(cancelled)

    @agent.tool
    def long_job(ctx: RunContext[None]) -> str:
        ctx.cancel()
        return "never"

    return agent


async def _post(agent: Agent[None, Any], body: dict[str, Any]) -> str:
    async def endpoint(request: Request) -> Response:
        return await AGUIAdapter.dispatch_request(request, agent=agent, include_usage=True)

    app = Starlette(routes=[Route("/agent", endpoint, methods=["POST"])])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        response = await client.post(
            "/agent",
            content=json.dumps(body),
            headers={"content-type": "application/json", "accept": "text/event-stream"},
        )
        response.raise_for_status()
        return response.text


def _body(run: str, messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "threadId": "thread-pai",
        "runId": run,
        "protocolVersion": "1.0",
        "state": None,
        "messages": messages,
        "tools": [],
        "context": [],
        "forwardedProps": None,
        **extra,
    }


USER = {"id": "user-1", "role": "user", "content": "Hi there"}


async def main() -> None:
    scenarios: list[tuple[str, Any, dict[str, Any]]] = [
        ("pydantic-ai-thinking-text", _agent(thinking_text), _body("run-think", [USER])),
        ("pydantic-ai-tools", _tools_agent(), _body("run-tools", [USER])),
        ("pydantic-ai-tool-failure", _tools_agent(retries=0), _body("run-fail", [USER])),
        ("pydantic-ai-approval", _approval_agent(), _body("run-approve", [USER])),
        (
            "pydantic-ai-frontend-tool",
            _agent(frontend_tool),
            _body(
                "run-front",
                [USER],
                tools=[
                    {
                        "name": "pick_color",
                        "description": "Ask the user to pick a colour in the browser.",
                        "parameters": {
                            "type": "object",
                            "properties": {"palette": {"type": "string"}},
                        },
                    }
                ],
            ),
        ),
        ("pydantic-ai-cancelled", _cancel_agent(), _body("run-cancel", [USER])),
        ("pydantic-ai-run-error", _agent(failing), _body("run-error", [USER])),
    ]
    for name, agent, body in scenarios:
        with deterministic(name):
            sse = await _post(agent, body)
        write_recording(name, sse, sender=SENDER, extra={"request": body["runId"]})

    # Continuation: the client approves the call the approval run left and sends the history
    # back with an AG-UI 1.0 resume entry; the new run executes the tool and answers.
    history = [
        USER,
        {
            "id": "resume-history-assistant",
            "role": "assistant",
            "content": "I will delete it once you approve.",
            "toolCalls": [
                {
                    "id": "call_del",
                    "type": "function",
                    "function": {"name": "delete_file", "arguments": '{"path": "/tmp/old.log"}'},
                }
            ],
        },
    ]
    approval_truth = json.loads((OUT / "pydantic-ai-approval.truth.json").read_text())
    interrupt_id = approval_truth["runs"][0]["interrupts"][0]["id"]
    body = _body(
        "run-resume",
        history,
        parentRunId="run-approve",
        resume=[{"interruptId": interrupt_id, "status": "resolved", "payload": {"approved": True}}],
    )
    (OUT / "pydantic-ai-approval-resume.request.json").write_text(json.dumps(body, indent=2) + "\n")
    with deterministic("pydantic-ai-approval-resume"):
        sse = await _post(_approval_agent(), body)
    write_recording(
        "pydantic-ai-approval-resume",
        sse,
        sender=SENDER,
        extra={"request": body["runId"], "run_input": "pydantic-ai-approval-resume.request.json"},
        run_input=body,
    )


if __name__ == "__main__":
    asyncio.run(main())
