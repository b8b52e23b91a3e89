"""Connect Telethon to Telegram's DC 2 through an MTProto proxy.

Usage: telethon_connect.py HOST PORT SECRET MODE SECONDS

MODE is abridged, intermediate or randomized (the secret then carries the
dd prefix). Telethon sends req_pq_multi through the proxy, checks the
resPQ it gets back and goes on with req_DH_params, which a fake DC records
and never answers: the key exchange cannot finish, so the attempt is cut
after SECONDS and the script exits 0. Any other failure exits 1.
"""
import asyncio
import logging
import sys

from telethon import TelegramClient, connection
from telethon.sessions import MemorySession

MODES = {
    "abridged": connection.ConnectionTcpMTProxyAbridged,
    "intermediate": connection.ConnectionTcpMTProxyIntermediate,
    "randomized": connection.ConnectionTcpMTProxyRandomizedIntermediate,
}


async def attempt(host, port, secret, mode, seconds):
    session = MemorySession()
    # Telethon sends only the session's DC id to the proxy; the address is
    # Telegram's, never dialled.
    session.set_dc(2, "149.154.167.51", 443)
    client = TelegramClient(
        session, api_id=1, api_hash="0" * 32,
        connection=MODES[mode], proxy=(host, port, secret),
        timeout=seconds, connection_retries=0, request_retries=0,
        auto_reconnect=False, receive_updates=False,
    )
    try:
        await asyncio.wait_for(client.connect(), seconds)
    except asyncio.TimeoutError:
        print("key exchange cut after", seconds, "s (expected)", file=sys.stderr)
    finally:
        try:
            await asyncio.wait_for(client.disconnect(), 1)
        except asyncio.TimeoutError:
            pass


def main():
    host, port, secret, mode, seconds = sys.argv[1:6]
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    asyncio.run(attempt(host, int(port), secret, mode, float(seconds)))


if __name__ == "__main__":
    main()
