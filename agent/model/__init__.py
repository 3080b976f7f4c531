"""The model layer: one ChatModel interface, the OpenAI-compatible client, token counting and redaction."""

from ._parsing import OutputError, extract_json_object
from .interface import (
    SUBMIT_TOOL_NAME,
    ChatModel,
    ModelConfig,
    ModelReply,
    ModelRequest,
    ToolCall,
    choice_schema,
)
from .openai_chat import OpenAIChatModel, OutputModeMemory
from .redact import redact_contact_data
from .tokens import BudgetFit, PromptSection, count_message_tokens, count_tokens, fit_to_budget

__all__ = [
    "SUBMIT_TOOL_NAME",
    "BudgetFit",
    "ChatModel",
    "ModelConfig",
    "ModelReply",
    "ModelRequest",
    "OpenAIChatModel",
    "OutputError",
    "OutputModeMemory",
    "PromptSection",
    "ToolCall",
    "choice_schema",
    "count_message_tokens",
    "count_tokens",
    "extract_json_object",
    "fit_to_budget",
    "redact_contact_data",
]
