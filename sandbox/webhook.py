"""Delivers queued updates to a bot's webhook, in order, retrying until it answers 2xx."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

import aiohttp

from sandbox.state import BotState, Webhook

log = logging.getLogger(__name__)

FIRST_RETRY_DELAY = 0.1
MAX_RETRY_DELAY = 2.0


class WebhookDispatcher:
    """One delivery task per bot with an active webhook."""

    def __init__(self) -> None:
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._session: aiohttp.ClientSession | None = None

    def start(self, bot: BotState) -> None:
        """(Re)start delivery for the bot's current webhook."""
        self.stop(bot)
        assert bot.webhook is not None
        task = asyncio.get_running_loop().create_task(self._deliver(bot, bot.webhook))
        self._tasks[id(bot)] = task

    def stop(self, bot: BotState) -> None:
        """Stop delivering for this bot; undelivered updates stay queued."""
        task = self._tasks.pop(id(bot), None)
        if task is not None:
            task.cancel()

    async def close(self) -> None:
        """Cancel all deliveries and close the HTTP session."""
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # trust_env=False: a proxy from the environment must never see loopback traffic.
            self._session = aiohttp.ClientSession(trust_env=False)
        return self._session

    async def _deliver(self, bot: BotState, hook: Webhook) -> None:
        delay = FIRST_RETRY_DELAY
        while bot.webhook is hook:
            if not bot.updates:
                await bot.update_signal.wait(30)
                continue
            update = bot.updates[0]
            error = await self._post(hook, update)
            if bot.webhook is not hook:
                return
            if error is None:
                if bot.updates and bot.updates[0] is update:
                    bot.updates.pop(0)
                hook.delivered += 1
                delay = FIRST_RETRY_DELAY
                continue
            hook.last_error_date = int(time.time())
            hook.last_error_message = error
            log.info("webhook delivery of update %s failed: %s", update["update_id"], error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_DELAY)

    async def _post(self, hook: Webhook, update: dict) -> str | None:
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        body = json.dumps(update, ensure_ascii=False).encode()
        try:
            async with self._client().post(
                hook.url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except TimeoutError:
            return "Read timeout expired"
        except (aiohttp.ClientError, OSError) as exc:
            return f"Connection error: {exc}"
