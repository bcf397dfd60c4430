"""Record ag-ui-langgraph's ``LangGraphAgent`` running a LangGraph graph with a scripted chat model.

The graph is the usual ReAct shape: an ``agent`` node calling a chat model with tools bound, a
``ToolNode`` and a conditional edge back; one tool calls LangGraph's ``interrupt()`` to ask the
user. The chat model is a ``BaseChatModel`` subclass that streams a fixed script of
``AIMessageChunk``s (text pieces, tool-call chunks, usage), so the bytes depend only on the
published LangGraph / ag-ui-langgraph code. Each run is driven the way ag-ui-langgraph's FastAPI
endpoint drives it: ``agent.run(RunAgentInput)`` with every event written by
``ag_ui.encoder.EventEncoder``. Ids and the clock are seeded (``_determinism``). Run::

    python conformance/agui-python/record_langgraph.py

Writes ``examples/recordings/agui/langgraph-*.sse`` and ``*.truth.json``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from importlib.metadata import version
from typing import Any

from _determinism import deterministic
from _truth import write_recording
from ag_ui.core import RunAgentInput, UserMessage
from ag_ui.encoder import EventEncoder
from ag_ui_langgraph import LangGraphAgent
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode
from langgraph.types import interrupt

SENDER = (
    f"ag-ui-langgraph {version('ag-ui-langgraph')} (langgraph {version('langgraph')}, "
    f"langchain-core {version('langchain-core')}, ag-ui-protocol {version('ag-ui-protocol')})"
)


def _script(messages: list[BaseMessage]) -> list[AIMessageChunk]:
    """The model's answer for the conversation so far (a fixed script)."""
    results = [m for m in messages if isinstance(m, ToolMessage)]
    last_user = next(m for m in reversed(messages) if m.type == "human").content
    usage = {"input_tokens": 40, "output_tokens": 12, "total_tokens": 52}
    if "weather" in str(last_user) and not results:
        return [
            AIMessageChunk(content="Let me check "),
            AIMessageChunk(content="the weather."),
            AIMessageChunk(
                content="",
                tool_call_chunks=[
                    {"name": "get_weather", "args": '{"city": ', "id": "call_weather", "index": 0}
                ],
            ),
            AIMessageChunk(
                content="",
                tool_call_chunks=[{"name": None, "args": '"Oslo"}', "id": None, "index": 0}],
                usage_metadata=usage,
            ),
        ]
    if "delete" in str(last_user) and not results:
        return [
            AIMessageChunk(content="I need your confirmation first."),
            AIMessageChunk(
                content="",
                tool_call_chunks=[
                    {
                        "name": "delete_records",
                        "args": '{"table": "logs"}',
                        "id": "call_delete",
                        "index": 0,
                    }
                ],
                usage_metadata=usage,
            ),
        ]
    return [
        AIMessageChunk(content=f"Done: {results[-1].content}" if results else "Hello!"),
        AIMessageChunk(content="", usage_metadata=usage),
    ]


class ScriptedChatModel(BaseChatModel):
    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: Any = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kw: Any,
    ) -> ChatResult:
        chunks = _script(messages)
        merged = chunks[0]
        for chunk in chunks[1:]:
            merged = merged + chunk
        message = AIMessage(
            content=merged.content,
            tool_calls=merged.tool_calls,
            usage_metadata=merged.usage_metadata,
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: Any = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kw: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in _script(messages):
            yield ChatGenerationChunk(message=chunk)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: Any = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kw: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in _script(messages):
            generation = ChatGenerationChunk(message=chunk)
            if run_manager is not None:
                await run_manager.on_llm_new_token(str(chunk.content), chunk=generation)
            yield generation


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"{city}: 4 C, snow"


@tool
def delete_records(table: str) -> str:
    """Delete every record of a table, after asking the user."""
    answer = interrupt({"question": f"Delete all records in {table}?", "table": table})
    return f"deleted {table}" if answer == "yes" else "cancelled by user"


def _graph() -> Any:
    model = ScriptedChatModel().bind_tools([get_weather, delete_records])

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    def route(state: MessagesState) -> str:
        last = state["messages"][-1]
        return "tools" if isinstance(last, AIMessage) and last.tool_calls else END

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode([get_weather, delete_records]))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", route, ["tools", END])
    builder.add_edge("tools", "agent")
    return builder.compile(checkpointer=InMemorySaver())


async def _run(agent: LangGraphAgent, run_input: RunAgentInput) -> str:
    encoder = EventEncoder(accept="text/event-stream")
    out = []
    async for event in agent.clone().run(run_input):
        out.append(encoder.encode(event))
    return "".join(out)


def _input(thread: str, run: str, text: str) -> RunAgentInput:
    return RunAgentInput(
        thread_id=thread,
        run_id=run,
        state={},
        tools=[],
        context=[],
        forwarded_props={},
        messages=[UserMessage(id=f"{run}-user", content=text)],
    )


async def main() -> None:
    scenarios = [
        ("langgraph-tools", {}, "thread-lg-tools", "What is the weather in Oslo?"),
        ("langgraph-interrupt", {}, "thread-lg-int", "Please delete the logs table."),
        (
            "langgraph-interrupt-outcome",
            {"emit_interrupt_outcome": True},
            "thread-lg-out",
            "Please delete the logs table.",
        ),
    ]
    for name, options, thread, text in scenarios:
        with deterministic(name):
            agent = LangGraphAgent(name="assistant", graph=_graph(), **options)
            sse = await _run(agent, _input(thread, f"run-{name}", text))
        write_recording(name, sse, sender=SENDER)


if __name__ == "__main__":
    asyncio.run(main())
