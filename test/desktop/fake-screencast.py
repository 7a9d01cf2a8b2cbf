#!/usr/bin/python3
"""A stand-in for a desktop's ScreenCast portal *backend*
(org.freedesktop.impl.portal.ScreenCast), for tests only.

The real frontend, xdg-desktop-portal, talks to it exactly as it talks to
GNOME's, KDE's or wlroots' backend; only the compositor part is missing
here (no compositor with a working ScreenCast backend runs headless on
this machine: xdg-desktop-portal-wlr 0.7 refuses software rendering). So
instead of a screen, Start grants an existing PipeWire video node, found
by node.name ($VIDBUS_FAKE_SCREENCAST_NODE), and the frontend then opens
a PipeWire remote restricted to that node, as it does for a real screen.

Every call is logged as one JSON line to $VIDBUS_FAKE_SCREENCAST_LOG.
Start answers "declined" (response 1) while the file
$VIDBUS_FAKE_SCREENCAST_LOG.deny exists, as when a person cancels the
dialog. Start hands back restore data, so the frontend issues a restore
token; SelectSources logs the restore data the frontend passes back.
"""
import json
import os
import subprocess
import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

BUS_NAME = "org.vidbus.test.ScreenCast"
PATH = "/org/freedesktop/portal/desktop"
XML = """
<node>
  <interface name="org.freedesktop.impl.portal.ScreenCast">
    <method name="CreateSession">
      <arg type="o" name="handle" direction="in"/><arg type="o" name="session_handle" direction="in"/>
      <arg type="s" name="app_id" direction="in"/><arg type="a{sv}" name="options" direction="in"/>
      <arg type="u" name="response" direction="out"/><arg type="a{sv}" name="results" direction="out"/>
    </method>
    <method name="SelectSources">
      <arg type="o" name="handle" direction="in"/><arg type="o" name="session_handle" direction="in"/>
      <arg type="s" name="app_id" direction="in"/><arg type="a{sv}" name="options" direction="in"/>
      <arg type="u" name="response" direction="out"/><arg type="a{sv}" name="results" direction="out"/>
    </method>
    <method name="Start">
      <arg type="o" name="handle" direction="in"/><arg type="o" name="session_handle" direction="in"/>
      <arg type="s" name="app_id" direction="in"/><arg type="s" name="parent_window" direction="in"/>
      <arg type="a{sv}" name="options" direction="in"/>
      <arg type="u" name="response" direction="out"/><arg type="a{sv}" name="results" direction="out"/>
    </method>
    <property name="AvailableSourceTypes" type="u" access="read"/>
    <property name="AvailableCursorModes" type="u" access="read"/>
    <property name="version" type="u" access="read"/>
  </interface>
</node>
"""
SESSION_XML = """
<node>
  <interface name="org.freedesktop.impl.portal.Session">
    <method name="Close"/>
    <signal name="Closed"/>
    <property name="version" type="u" access="read"/>
  </interface>
</node>
"""

log_path = os.environ["VIDBUS_FAKE_SCREENCAST_LOG"]
node_name = os.environ["VIDBUS_FAKE_SCREENCAST_NODE"]
sessions = {}


def log(entry):
    with open(log_path, "a") as f:
        f.write(json.dumps(entry) + "\n")


def node_id():
    """The id of the PipeWire node named node_name, or None."""
    dump = json.loads(subprocess.run(["pw-dump"], capture_output=True, text=True, check=True).stdout)
    for obj in dump:
        props = (obj.get("info") or {}).get("props") or {}
        if obj.get("type") == "PipeWire:Interface:Node" and props.get("node.name") == node_name:
            return obj["id"], props
    return None, None


def plain(options):
    """a{sv} as JSON-friendly values."""
    return {k: (v.unpack() if isinstance(v, GLib.Variant) else v) for k, v in options.items()}


def session_call(connection, sender, path, interface, method, params, invocation):
    if method == "Close":
        log({"method": "Session.Close", "session": path})
        reg = sessions.pop(path, None)
        if reg is not None:
            connection.unregister_object(reg)
    invocation.return_value(None)


def session_property(connection, sender, path, interface, name):
    return GLib.Variant("u", 1)


def call(connection, sender, path, interface, method, params, invocation):
    args = params.unpack()
    if method == "CreateSession":
        handle, session_handle, app_id, options = args
        node = Gio.DBusNodeInfo.new_for_xml(SESSION_XML)
        sessions[session_handle] = connection.register_object(session_handle, node.interfaces[0], session_call, session_property, None)
        log({"method": method, "app_id": app_id, "options": plain(options)})
        invocation.return_value(GLib.Variant("(ua{sv})", (0, {"session_id": GLib.Variant("s", session_handle)})))
    elif method == "SelectSources":
        handle, session_handle, app_id, options = args
        log({"method": method, "options": plain(options)})
        invocation.return_value(GLib.Variant("(ua{sv})", (0, {})))
    elif method == "Start":
        handle, session_handle, app_id, parent_window, options = args
        if os.path.exists(log_path + ".deny"):
            log({"method": method, "answer": "declined"})
            invocation.return_value(GLib.Variant("(ua{sv})", (1, {})))
            return
        nid, props = node_id()
        if nid is None:
            log({"method": method, "answer": "no node"})
            invocation.return_value(GLib.Variant("(ua{sv})", (2, {})))
            return
        log({"method": method, "node": nid})
        stream = (nid, {"source_type": GLib.Variant("u", 1), "size": GLib.Variant("(ii)", (320, 240))})
        results = {
            "streams": GLib.Variant("a(ua{sv})", [stream]),
            "persist_mode": GLib.Variant("u", 2),
            "restore_data": GLib.Variant("(suv)", ("vidbus-fake", 1, GLib.Variant("s", node_name))),
        }
        invocation.return_value(GLib.Variant("(ua{sv})", (0, results)))


def get_property(connection, sender, path, interface, name):
    return GLib.Variant("u", {"AvailableSourceTypes": 1, "AvailableCursorModes": 3, "version": 4}[name])


def on_bus(connection, name):
    node = Gio.DBusNodeInfo.new_for_xml(XML)
    connection.register_object(PATH, node.interfaces[0], call, get_property, None)


def main():
    loop = GLib.MainLoop()
    Gio.bus_own_name(Gio.BusType.SESSION, BUS_NAME, Gio.BusNameOwnerFlags.NONE, on_bus, lambda *a: None, lambda *a: (sys.stderr.write("fake-screencast: lost the bus name\n"), loop.quit()))
    loop.run()


main()
