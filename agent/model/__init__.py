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
from .pool import HttpClient, ShardedTransport, model_http_client
from .redact import redact_contact_data
from .tokens import BudgetFit, PromptSection, count_message_tokens, count_tokens, fit_to_budget

__all__ = [
    "SUBMIT_TOOL_NAME",
    "BudgetFit",
    "ChatModel",
    "HttpClient",
    "ModelConfig",
    "ModelReply",
    "ModelRequest",
    "OpenAIChatModel",
    "OutputError",
    "OutputModeMemory",
    "PromptSection",
    "ShardedTransport",
    "ToolCall",
    "choice_schema",
    "count_message_tokens",
    "count_tokens",
    "extract_json_object",
    "fit_to_budget",
    "model_http_client",
    "redact_contact_data",
]
