"""`zohobooks-credentials`: manage the encrypted credential store.

    zohobooks-credentials init                         create the key file (unless a passphrase is set) and the store
    zohobooks-credentials add NAME --kind zoho         values from a prompt (hidden), or a JSON object on stdin
    zohobooks-credentials rotate NAME                  replace some or all values of a set (same input forms)
    zohobooks-credentials import-service-account NAME KEY.json
    zohobooks-credentials list                         names, kinds, field names and dates; never values
    zohobooks-credentials verify [NAME ...]            the key opens the store and every set is complete
    zohobooks-credentials remove NAME
    zohobooks-credentials rekey                        re-encrypt under ZOHOBOOKS_BIGQUERY_NEW_STORE_KEY(_FILE)

The store is --store, else ZOHOBOOKS_BIGQUERY_STORE, else the plugin's credential_store setting (as
Meltano exports it to `meltano invoke tap-zohobooks:credentials ...`), else
~/.config/zohobooks-bigquery/credentials.store. Values are never taken from the command line (they
would stay in the shell history and the process list).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from .clear_errors import one_line, run_with_clear_errors
from .credential_store import (KEY_ENV, KEY_FILE_ENV, KINDS, STORE_ENV, CredentialStore, CredentialStoreError,
                               check_fields, create_key_file, default_key_file, load_key, service_account_info)

PLUGIN_STORE_ENVS = ("TAP_ZOHOBOOKS_CREDENTIAL_STORE", "TARGET_BIGQUERY_AUDIT_CREDENTIAL_STORE")
NEW_KEY_ENV, NEW_KEY_FILE_ENV = "ZOHOBOOKS_BIGQUERY_NEW_STORE_KEY", "ZOHOBOOKS_BIGQUERY_NEW_STORE_KEY_FILE"


def store_path(option: str | None) -> Path:
    for value in (option, os.environ.get(STORE_ENV), *(os.environ.get(name) for name in PLUGIN_STORE_ENVS)):
        if value:
            return Path(value).expanduser()
    return Path("~/.config/zohobooks-bigquery/credentials.store").expanduser()


def read_values(kind: str, names: tuple[str, ...], required: tuple[str, ...]) -> dict:
    """A JSON object on stdin, or hidden prompts on a terminal (empty answer: leave unset)."""
    if not sys.stdin.isatty():
        try:
            values = json.loads(sys.stdin.read())
        except ValueError:
            raise CredentialStoreError("stdin is not a JSON object of field names to values") from None
        if not isinstance(values, dict):
            raise CredentialStoreError("stdin is not a JSON object of field names to values")
        return values
    values = {}
    for name in names:
        if name == "webhook_secrets":
            continue  # per-organization secrets: JSON on stdin only
        value = getpass.getpass(f"{name}{' (required)' if name in required else ' (enter to skip)'}: ")
        if value:
            values[name] = value
    return values


def cmd_init(args) -> None:
    path = store_path(args.store)
    if os.environ.get(KEY_ENV):
        key = load_key()
        print(f"Using the passphrase in {KEY_ENV} (scrypt); no key file written.")
    else:
        key_file = default_key_file()
        if not key_file.exists():
            create_key_file(key_file)
            print(f"Created key file {key_file} (mode 0600). Back it up apart from the store: without it the "
                  "store cannot be opened.")
        key = load_key()
    CredentialStore.create(path, key)
    print(f"Created credential store {path} (mode 0600).")


def cmd_add(args, replace: bool = False) -> None:
    store = CredentialStore.open(store_path(args.store))
    kind = args.kind if not replace else store.sets.get(args.name, {}).get("kind")
    if replace and kind is None:
        raise CredentialStoreError(f"credential set {args.name!r} is not in {store.path}: use add")
    spec = KINDS.get(kind) or {"fields": (), "required": ()}
    values = read_values(kind, spec["fields"], () if replace else spec["required"])
    fields = {**(store.get(args.name, kind) if replace else {}), **values}
    if kind == "google" and isinstance(fields.get("credentials_json"), dict):
        fields["credentials_json"] = json.dumps(fields["credentials_json"])
    store.put(args.name, kind, fields, replace=replace)
    print(f"{'Rotated' if replace else 'Added'} {kind} credential set {args.name!r}: {', '.join(sorted(values))}.")


def cmd_import_service_account(args) -> None:
    store = CredentialStore.open(store_path(args.store))
    try:
        text = Path(args.key_file).read_text()
    except OSError as exc:
        raise CredentialStoreError(f"cannot read {args.key_file}: {exc.strerror}") from None
    info = service_account_info(text, args.key_file)
    store.put(args.name, "google", {"credentials_json": json.dumps(info)}, replace=args.replace)
    print(f"Imported the key of {info['client_email']} as google credential set {args.name!r}.")
    print(f"Now delete the plaintext copy: shred -u {args.key_file}  (or rm it and empty the trash)")


def cmd_list(args) -> None:
    store = CredentialStore.open(store_path(args.store))
    print(f"{store.path}: {len(store.sets)} credential set(s)")
    for entry in store.listing():
        print(f"  {entry['name']}  kind={entry['kind']}  fields={','.join(entry['fields'])}  "
              f"created={entry['created_at']}  updated={entry['updated_at']}  rotations={entry['rotations']}")


def cmd_verify(args) -> None:
    store = CredentialStore.open(store_path(args.store))
    names = args.names or sorted(store.sets)
    for name in names:
        entry = store.sets.get(name)
        if entry is None:
            raise CredentialStoreError(f"credential set {name!r} is not in {store.path}")
        check_fields(entry["kind"], entry["fields"])
        print(f"  {name}: {entry['kind']} set complete")
    print(f"OK: {store.path} opens with the configured key; {len(names)} set(s) checked.")


def cmd_remove(args) -> None:
    CredentialStore.open(store_path(args.store)).remove(args.name)
    print(f"Removed credential set {args.name!r}.")


def cmd_rekey(args) -> None:
    store = CredentialStore.open(store_path(args.store))
    new_env = {KEY_ENV: os.environ.get(NEW_KEY_ENV, ""), KEY_FILE_ENV: os.environ.get(NEW_KEY_FILE_ENV, "")}
    if not any(new_env.values()):
        raise CredentialStoreError(f"set {NEW_KEY_ENV} (a new passphrase) or {NEW_KEY_FILE_ENV} (a new key file, "
                                   "made with: zohobooks-credentials new-key-file PATH)")
    store.save(key=load_key(new_env))
    print(f"Re-encrypted {store.path} with the new key; now point {KEY_ENV} / {KEY_FILE_ENV} at it.")


def cmd_new_key_file(args) -> None:
    create_key_file(Path(args.path).expanduser())
    print(f"Created key file {args.path} (mode 0600).")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="zohobooks-credentials", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    root.add_argument("--store", help="path of the credential store")
    sub = root.add_subparsers(dest="command", required=True)
    sub.add_parser("init").set_defaults(run=cmd_init)
    add = sub.add_parser("add")
    add.add_argument("name")
    add.add_argument("--kind", choices=sorted(KINDS), required=True)
    add.set_defaults(run=cmd_add)
    rotate = sub.add_parser("rotate")
    rotate.add_argument("name")
    rotate.set_defaults(run=lambda args: cmd_add(args, replace=True))
    imp = sub.add_parser("import-service-account")
    imp.add_argument("name")
    imp.add_argument("key_file")
    imp.add_argument("--replace", action="store_true", help="replace the key of an existing set (rotation)")
    imp.set_defaults(run=cmd_import_service_account)
    sub.add_parser("list").set_defaults(run=cmd_list)
    verify = sub.add_parser("verify")
    verify.add_argument("names", nargs="*")
    verify.set_defaults(run=cmd_verify)
    remove = sub.add_parser("remove")
    remove.add_argument("name")
    remove.set_defaults(run=cmd_remove)
    sub.add_parser("rekey").set_defaults(run=cmd_rekey)
    new_key = sub.add_parser("new-key-file")
    new_key.add_argument("path")
    new_key.set_defaults(run=cmd_new_key_file)
    return root


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    run_with_clear_errors(lambda: args.run(args), {CredentialStoreError: one_line}, "zohobooks-credentials")


if __name__ == "__main__":
    main()
