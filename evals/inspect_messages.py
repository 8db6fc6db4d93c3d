"""Inspect's chat messages and tools in the text our models were trained on, and tool calls parsed back out.

Tools are offered in the agent format of the training corpus and of `evals/agentic` (a system-prompt paragraph
naming each tool, its arguments and the call syntax); the model calls one by writing

    <call>{"tool": "add", "args": {"x": 1, "y": 2}}</call>

and inspect's answer comes back as a tool turn `<result>3</result>`. Generation stops at "</call>", so a reply holds
at most one call.
"""
from __future__ import annotations

import json
import re
import uuid
from typing import Sequence

from inspect_ai.model import ChatMessage, ChatMessageAssistant, ChatMessageSystem, ChatMessageTool
from inspect_ai.tool import ToolCall, ToolChoice, ToolFunction, ToolInfo

from midalign_jax.agent.tools import CALL_CLOSE, CALL_OPEN, format_result

_CALL = re.compile(re.escape(CALL_OPEN) + r"(.*?)(?:" + re.escape(CALL_CLOSE) + r"|\Z)", re.DOTALL)


def _signature(tool: ToolInfo) -> str:
    params = tool.parameters.properties
    required = set(tool.parameters.required or [])
    args = [f"{name}: {p.type or 'any'}" + ("" if name in required else " (optional)") for name, p in params.items()]
    line = f"- {tool.name}({', '.join(args)}): {tool.description}"
    details = [f"    {name}: {p.description}" for name, p in params.items() if p.description]
    return "\n".join([line, *details])


def _example_call(tool: ToolInfo) -> str:
    args = {name: f"<{name}>" for name in (tool.parameters.required or list(tool.parameters.properties)[:1])}
    return f"{CALL_OPEN}{json.dumps({'tool': tool.name, 'args': args})}{CALL_CLOSE}"


def tool_instructions(tools: Sequence[ToolInfo], tool_choice: ToolChoice) -> str:
    """The paragraph that offers `tools`, in the wording of evals/agentic's TOOL_INSTRUCTIONS."""
    text = ("You act by calling tools. To call one, write a single call such as\n" + _example_call(tools[0]) +
            "\nwith the tool's arguments as JSON, and wait for the result. Tools:\n" +
            "\n".join(_signature(t) for t in tools))
    if isinstance(tool_choice, ToolFunction):
        return text + f"\nCall {tool_choice.name} now."
    if tool_choice == "any":
        return text + "\nCall one of the tools now."
    return text + "\nWhen the task is done, reply with a short message and no tool call."


def offers_tools(tools: Sequence[ToolInfo], tool_choice: ToolChoice) -> bool:
    return bool(tools) and tool_choice != "none"


def to_messages(messages: Sequence[ChatMessage], tools: Sequence[ToolInfo], tool_choice: ToolChoice) -> list[dict]:
    """`{"role", "content"}` dicts for `LanguageModel.render_chat`: the tool paragraph joins the first system
    message (or becomes one), an assistant turn's calls are written back in call syntax, tool turns are results."""
    out: list[dict] = []
    for message in messages:
        if isinstance(message, ChatMessageAssistant):
            calls = "".join(f"{CALL_OPEN}{json.dumps({'tool': c.function, 'args': c.arguments})}{CALL_CLOSE}"
                            for c in message.tool_calls or [])
            out.append({"role": "assistant", "content": (message.text + calls) if message.text else calls})
        elif isinstance(message, ChatMessageTool):
            text = f"error: {message.error.message}" if message.error is not None else message.text
            out.append({"role": "tool", "content": format_result(text)})
        else:
            out.append({"role": "system" if isinstance(message, ChatMessageSystem) else "user",
                        "content": message.text})
    if offers_tools(tools, tool_choice):
        paragraph = tool_instructions(tools, tool_choice)
        if out and out[0]["role"] == "system":
            out[0] = {"role": "system", "content": out[0]["content"] + "\n\n" + paragraph}
        else:
            out.insert(0, {"role": "system", "content": paragraph})
    return out


def parse_tool_call(text: str) -> tuple[str, list[ToolCall] | None]:
    """(the reply's text before its call, [the call]) or (text, None) when it calls nothing. A call that is not a
    JSON object {"tool": NAME, "args": {...}} comes back with `parse_error` set, so inspect tells the model what was
    wrong instead of failing the sample."""
    match = _CALL.search(text)
    if match is None:
        return text, None
    content = text[:match.start()].rstrip()
    call_id = f"call_{uuid.uuid4().hex[:12]}"
    try:
        data = json.loads(match.group(1).strip())
    except json.JSONDecodeError as error:
        return content, [ToolCall(call_id, "unknown", {}, parse_error=f"the call is not valid JSON ({error.msg}); "
                                  'expected {"tool": NAME, "args": {...}}')]
    if not isinstance(data, dict) or not isinstance(data.get("tool"), str):
        return content, [ToolCall(call_id, "unknown", {}, parse_error='expected {"tool": NAME, "args": {...}}')]
    args = data.get("args", {})
    if not isinstance(args, dict):
        return content, [ToolCall(call_id, data["tool"], {}, parse_error="'args' must be a JSON object")]
    return content, [ToolCall(call_id, data["tool"], args)]
