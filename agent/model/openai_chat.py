"""The ChatModel for any OpenAI-compatible endpoint: OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp.

Servers differ in how they enforce structured output, so the client speaks four dialects (`OutputMode`)
and, in `auto`, learns once per endpoint and model which one the server accepts. It never retries on its
own (the graph owns retries and repair) and never waits past the request's deadline.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, cast

import httpx
import openai
import orjson
from openai.types.chat import ChatCompletion

from nextbest.contracts import FallbackReason, ModelCall
from nextbest.errors import ModelError
from nextbest.settings import OutputMode

from ._modes import AUTO_LADDER, build_arguments, rejects_mode, sent_schema
from ._parsing import OutputError, parse_message
from .interface import ModelConfig, ModelReply, ModelRequest
from .pool import HttpClient
from .tokens import count_message_tokens, count_tokens

if TYPE_CHECKING:
    import httpx2

__all__ = ["OpenAIChatModel", "OutputModeMemory"]

# Local servers (Ollama, vLLM, llama.cpp) ignore the bearer token, but the SDK refuses to start without one.
_LOCAL_SERVER_KEY = "unused"
_DEFAULT_LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=50)
_CHAT_PATH = "/chat/completions"


class OutputModeMemory:
    """Which output mode each (base_url, model) accepted, and which it rejected. Share one between clients
    to learn once."""

    def __init__(self) -> None:
        self._modes: dict[tuple[str, str], OutputMode] = {}
        self._rejected: dict[tuple[str, str], set[OutputMode]] = {}

    def get(self, base_url: str, model: str) -> OutputMode | None:
        return self._modes.get((base_url, model))

    def remember(self, base_url: str, model: str, mode: OutputMode) -> None:
        self._modes[(base_url, model)] = mode

    def reject(self, base_url: str, model: str, mode: OutputMode) -> None:
        """Never try `mode` on this endpoint again (it refused it, or died on its schema)."""
        self._rejected.setdefault((base_url, model), set()).add(mode)
        if self._modes.get((base_url, model)) is mode:
            del self._modes[(base_url, model)]

    def rejected(self, base_url: str, model: str) -> frozenset[OutputMode]:
        return frozenset(self._rejected.get((base_url, model), ()))


class _ModeRejectedError(Exception):
    """The server refused the output mode itself; `auto` moves down the ladder."""


def _elapsed_ms(started: float) -> float:
    return (time.monotonic() - started) * 1000


def _dropped_after_sending(error: openai.APIConnectionError) -> bool:
    """The request reached the server and the connection died before an answer (not a refused connect)."""
    cause = error.__cause__
    return cause is not None and type(cause).__name__ not in {"ConnectError", "ConnectTimeout"}


def _status_error(error: openai.APIStatusError) -> ModelError:
    reason = FallbackReason.RATE_LIMITED if error.status_code == 429 else FallbackReason.MODEL_ERROR
    return ModelError(reason, f"HTTP {error.status_code}: {error.message}")


def _completion_text(completion: ChatCompletion) -> str:
    if not getattr(completion, "choices", None):  # a body that is no completion (the SDK does not validate)
        return ""
    message = completion.choices[0].message
    arguments = [call.function.arguments for call in message.tool_calls or [] if call.type == "function"]
    return (message.content or "") + "".join(arguments)


def _usage(completion: ChatCompletion, arguments: dict[str, Any]) -> tuple[int, int, bool]:
    """Prompt and completion tokens: the server's count, else a tiktoken estimate (flagged)."""
    usage = getattr(completion, "usage", None)
    if usage is not None and (usage.prompt_tokens or usage.completion_tokens):
        return usage.prompt_tokens, usage.completion_tokens, False
    prompt = count_message_tokens(arguments["messages"])
    for key in ("tools", "response_format"):
        if key in arguments:
            prompt += count_tokens(orjson.dumps(arguments[key]).decode())
    return prompt, count_tokens(_completion_text(completion)), True


class OpenAIChatModel:
    """A ChatModel backed by `openai.AsyncOpenAI`. Close it with `aclose()` when done."""

    def __init__(
        self,
        config: ModelConfig,
        *,
        http_client: HttpClient | None = None,
        mode_memory: OutputModeMemory | None = None,
    ) -> None:
        self._config = config
        self._owns_http = http_client is None
        self._http: HttpClient = http_client or httpx.AsyncClient(limits=_DEFAULT_LIMITS)
        self._client = openai.AsyncOpenAI(
            api_key=config.api_key or _LOCAL_SERVER_KEY,
            base_url=config.base_url,
            max_retries=0,
            # The SDK sends through httpx2 but also accepts a plain httpx client (openai/_httpx2.py), which is
            # what keeps respx able to intercept it in tests.
            http_client=cast("httpx2.AsyncClient", self._http),
        )
        self._memory = mode_memory or OutputModeMemory()
        self._base_url = str(self._client.base_url)

    @property
    def name(self) -> str:
        return self._config.model

    @property
    def learned_mode(self) -> OutputMode | None:
        """The mode `auto` settled on for this endpoint and model, once a call has succeeded."""
        return self._memory.get(self._base_url, self._config.model)

    def _ladder(self) -> tuple[OutputMode, ...]:
        if self._config.output_mode is not OutputMode.AUTO:
            return (self._config.output_mode,)
        learned = self.learned_mode
        if learned is not None:
            return (learned,)
        rejected = self._memory.rejected(self._base_url, self._config.model)
        # The last rung (prompt) sends no schema of its own, so it is always left to try.
        return tuple(mode for mode in AUTO_LADDER[:-1] if mode not in rejected) + AUTO_LADDER[-1:]

    async def aclose(self) -> None:
        """Release the connection pool, when this client created it."""
        if self._owns_http:
            await self._http.aclose()

    async def complete(self, request: ModelRequest) -> ModelReply:
        """One chat turn, answered before `request.deadline`, or ModelError with a FallbackReason."""
        started = time.monotonic()
        ladder = self._ladder()
        for position, mode in enumerate(ladder):
            may_fall_back = position < len(ladder) - 1
            try:
                arguments, completion = await self._send(request, mode, may_fall_back=may_fall_back)
            except _ModeRejectedError:
                self._memory.reject(self._base_url, self._config.model, mode)
                continue
            except ModelError as error:
                error.call = ModelCall(
                    attempt=request.attempt,
                    mode=mode.value,
                    latency_ms=_elapsed_ms(started),
                    outcome=error.reason.value,
                )
                raise
            if self._config.output_mode is OutputMode.AUTO:
                self._memory.remember(self._base_url, self._config.model, mode)
            return self._reply(request, mode, arguments, completion, started)
        raise AssertionError("the output-mode ladder is never empty")  # pragma: no cover

    async def _send(
        self, request: ModelRequest, mode: OutputMode, *, may_fall_back: bool
    ) -> tuple[dict[str, Any], ChatCompletion]:
        remaining = request.deadline - time.monotonic()
        if remaining <= 0:
            raise ModelError(FallbackReason.DEADLINE_EXCEEDED, "no time left before calling the model")
        arguments = build_arguments(self._config, request, mode)
        try:
            # The SDK's timeout applies per phase (connect, read, ...); asyncio.timeout bounds the whole call.
            async with asyncio.timeout(remaining):
                # `post` sends the arguments as built. `chat.completions.create` would first walk every
                # message and the output schema through the SDK's TypedDict transform, which leaves plain JSON
                # unchanged and cost ~1 ms a call (12% of the CPU with 1,000 decisions in flight).
                completion = await self._client.post(
                    _CHAT_PATH,
                    body=arguments,
                    cast_to=ChatCompletion,
                    options={"timeout": remaining, "security": {"bearer_auth": True}},
                )
        except (TimeoutError, openai.APITimeoutError) as error:
            raise ModelError(FallbackReason.MODEL_TIMEOUT, f"no answer within {remaining:.3f}s") from error
        except openai.APIStatusError as error:
            if may_fall_back and rejects_mode(error):
                raise _ModeRejectedError(mode) from error
            raise _status_error(error) from error
        except openai.APIConnectionError as error:
            # llama.cpp dies on a schema whose grammar overflows its parser: the connection drops right
            # after the schema was sent. `auto` treats that as a rejection of the mode, and learns it.
            if may_fall_back and sent_schema(request, mode) and _dropped_after_sending(error):
                raise _ModeRejectedError(mode) from error
            raise ModelError(FallbackReason.MODEL_ERROR, f"connection failed: {error.__cause__ or error}") from error
        except openai.OpenAIError as error:
            raise ModelError(FallbackReason.MODEL_ERROR, str(error)) from error
        return arguments, completion

    def _reply(
        self,
        request: ModelRequest,
        mode: OutputMode,
        arguments: dict[str, Any],
        completion: ChatCompletion,
        started: float,
    ) -> ModelReply:
        prompt_tokens, completion_tokens, estimated = _usage(completion, arguments)
        call = ModelCall(
            attempt=request.attempt,
            mode=mode.value,
            latency_ms=_elapsed_ms(started),
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            tokens_estimated=estimated,
        )
        try:
            parsed = parse_message(completion)
        except OutputError as error:
            call.outcome = FallbackReason.INVALID_OUTPUT.value
            raise ModelError(FallbackReason.INVALID_OUTPUT, str(error), raw_output=error.raw, call=call) from error
        call.tool_calls = [tool_call.name for tool_call in parsed.tool_calls]
        return ModelReply(choice=parsed.choice, tool_calls=parsed.tool_calls, text=parsed.text, call=call)
