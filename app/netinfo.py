"""Which address phones can reach, and the start-up banner that shows it."""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct

_SIOCGIFADDR = 0x8915


def lan_addresses() -> list[str]:
    """IPv4 addresses of this machine's interfaces, loopback excluded, read locally.

    Asks the kernel per interface (Linux ioctl) instead of opening a socket to some
    outside address, so nothing is sent anywhere.
    """
    found: list[str] = []
    try:
        interfaces = socket.if_nameindex()
    except OSError:
        interfaces = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _index, name in interfaces:
            try:
                packed = fcntl.ioctl(probe.fileno(), _SIOCGIFADDR, struct.pack("256s", name[:15].encode()))
            except OSError:
                continue
            address = socket.inet_ntoa(packed[20:24])
            if not ipaddress.ip_address(address).is_loopback and address not in found:
                found.append(address)
    # Private LAN addresses first: that is where the phones in the hall are.
    found.sort(key=lambda a: (not ipaddress.ip_address(a).is_private, a))
    return found


def base_urls(public_url: str, host: str, port: int) -> tuple[str, str]:
    """(the organizer's URL on this machine, the URL phones should open)."""
    local = f"http://127.0.0.1:{port}" if host in ("0.0.0.0", "::", "") else f"http://{host}:{port}"
    if public_url:
        return local, public_url
    if host in ("0.0.0.0", "::", ""):
        addresses = lan_addresses()
        return local, f"http://{addresses[0]}:{port}" if addresses else local
    return local, local


def banner(public_url: str, host: str, port: int, *, with_qr: bool = True) -> str:
    import segno

    local, phones = base_urls(public_url, host, port)
    lines = [
        "",
        "党建竞赛平台已启动",
        f"  管理后台（组织者）：{local}/admin/",
        f"  手机加入地址：      {phones}/play",
    ]
    if phones.startswith(("http://127.", "http://localhost")):
        lines.append("  注意：没有找到局域网地址，手机无法访问本机；可设置 ARENA_PUBLIC_URL。")
    text = "\n".join(lines) + "\n"
    if with_qr:
        import io

        buffer = io.StringIO()
        segno.make(f"{phones}/play", error="m").terminal(out=buffer, compact=True)
        text += "\n手机扫码加入：\n" + buffer.getvalue()
    return text
