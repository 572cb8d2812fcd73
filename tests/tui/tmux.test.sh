#!/usr/bin/env bash
# End to end in a real terminal: a relay and TUI clients in tmux panes of fixed size, driven
# with send-keys and read with capture-pane (polling with timeouts, never long fixed sleeps). The
# group scenario adds a --batch member (erin) driven through a fifo.
# Usage: tmux.test.sh SOTTO_BINARY
set -uo pipefail
sotto=${1:?usage: tmux.test.sh SOTTO_BINARY}
command -v tmux >/dev/null || { echo "SKIP: tmux is not installed"; exit 77; }

work=$(mktemp -d /tmp/sotto-tmux-XXXXXX)
socket="sotto-e2e-$$"
relay_pid=""
erin_pid=""
T() { tmux -L "$socket" -f /dev/null "$@"; }
cleanup() {
  T kill-server 2>/dev/null
  [[ -n "$erin_pid" ]] && kill "$erin_pid" 2>/dev/null && wait "$erin_pid" 2>/dev/null
  [[ -n "$relay_pid" ]] && kill "$relay_pid" 2>/dev/null && wait "$relay_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

failures=0
fail() {
  echo "FAIL: $*"
  for s in $(T list-sessions -F '#S' 2>/dev/null); do
    echo "--- screen of $s:"; T capture-pane -p -t "$s"
  done
  failures=$((failures + 1))
  exit 1
}
pass() { echo "ok: $*"; }

# wait_for SESSION REGEX [SECONDS]: polls the screen until a line matches.
wait_for() {
  local session=$1 pattern=$2 limit=${3:-10} deadline
  deadline=$(($(date +%s%N) + limit * 1000000000))
  while (($(date +%s%N) < deadline)); do
    if T capture-pane -p -t "$session" 2>/dev/null | grep -Eq -- "$pattern"; then
      return 0
    fi
    sleep 0.05
  done
  return 1
}
screen() { T capture-pane -p -t "$1"; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$sotto" --relay --ephemeral --listen "127.0.0.1:$port" >"$work/relay.out" 2>"$work/relay.err" &
relay_pid=$!
for _ in $(seq 100); do grep -q fingerprint "$work/relay.out" 2>/dev/null && break; sleep 0.05; done
relay=$(sed -n 's/^sotto relay listening on //p' "$work/relay.out")
fingerprint=$(sed -n 's/^certificate fingerprint (SHA-256): //p' "$work/relay.out")
[[ -n "$relay" && -n "$fingerprint" ]] || fail "the relay did not start: $(cat "$work/relay.err")"

# client SESSION USER [EXTRA ENV] [EXTRA FLAGS...]: a TUI in its own tmux session of 100x30;
# when it exits the pane shows "EXITED <code>" and stays.
client() {
  local session=$1 user=$2 term=$3; shift 3
  T new-session -d -s "$session" -x 100 -y 30 \
    "env TERM=$term XDG_DATA_HOME=$work/$user ${ask_passphrase:-SOTTO_PASSPHRASE=pw-$user} SOTTO_INSECURE_TEST_KDF=1 \
     SOTTO_TEST_RESEND_MS=400 $sotto --relay $relay --user $user $*; echo EXITED \$?; sleep 600"
}

# alice starts first, without a pin: the relay's fingerprint is shown for confirmation.
client alice alice screen-256color
wait_for alice "$fingerprint" || fail "alice is not shown the relay fingerprint"
wait_for alice 'Trust this relay.*\(y/n\)' || fail "no y/n question for the fingerprint"
T send-keys -t alice y
wait_for alice '\+-sotto--alice@' || fail "alice's main screen did not open"
pass "first run: fingerprint confirmed, alice registered"

T send-keys -t alice '/msg bob hello bob' Enter
wait_for alice 'offering key to bob \(bob offline' || fail "alice's status line does not show the offer"
wait_for alice 'alice +hello bob' || fail "alice's message is not in her pane"
pass "alice's status line shows the offering state before bob exists"

client bob bob screen-256color --relay-fingerprint "$fingerprint"
wait_for bob '\+-sotto--bob@' || fail "bob's main screen did not open"
wait_for bob '/accept alice' || fail "bob is not told about alice's request"
T send-keys -t bob '/accept alice' Enter
wait_for bob 'alice +hello bob' || fail "alice's message did not reach bob"
wait_for bob 'secure - not verified' || fail "bob's status line did not reach secure"
wait_for alice 'secure - not verified' || fail "alice's status line did not reach secure"
pass "both status lines reach secure"

wait_for alice 'hello bob +(✓✓|✓✓✓)\|' || fail "alice's message has no delivered mark"
line='wide 你好世界 and 🎉🚀 end'
T send-keys -t bob -l "$line"
T send-keys -t bob Enter
wait_for alice "bob +$line" || fail "bob's line did not reach alice"
wait_for bob "$line +✓" || fail "bob's message has no mark"
pass "messages cross with delivery marks"

# Alignment: the row with wide characters is exactly 100 columns, its border in the last one.
row=$(screen alice | grep -F -- "$line")
width=$(python3 -c '
import sys, unicodedata
text = sys.argv[1]
print(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text))' "$row")
[[ "$width" == 100 && "${row: -1}" == "|" ]] || fail "the CJK/emoji row is $width columns: [$row]"
pass "a CJK and emoji line renders aligned"

T send-keys -t alice '/msg carol' Enter
wait_for alice '\[2 carol\]' || fail "no second tab"
T send-keys -t alice M-1
wait_for alice 'secure - not verified \(/verify bob\)' || fail "Alt+1 did not switch back to bob"
T send-keys -t alice M-2
wait_for alice 'no session with carol|carol' || fail "Alt+2 did not switch to carol"
screen alice | grep -q '/verify bob' && fail "Alt+2 still shows bob's status"
T send-keys -t alice M-1
wait_for alice '/verify bob' || fail "Alt+1 did not switch back"
pass "Alt+1/Alt+2 switch conversations"

T send-keys -t alice -l 'draft kept'
T resize-window -t alice -x 60 -y 20
wait_for alice '^\+-sotto--alice@.{40,}\+$' || fail "no relayout at 60x20"
[[ $(screen alice | head -1 | wc -m) -le 62 ]] || fail "the top line is wider than 60 columns"
wait_for alice 'hello bob' || fail "content lost at 60x20"
wait_for alice '> draft kept' || fail "the input was lost at 60x20"
T resize-window -t alice -x 100 -y 30
wait_for alice "bob +$line" || fail "content lost after resizing back"
wait_for alice '> draft kept' || fail "the input was lost after resizing back"
pass "resize to 60x20 and back keeps content and input"
T send-keys -t alice C-u

T send-keys -t bob '/quit' Enter
wait_for bob '^EXITED 0' || fail "bob's /quit did not exit 0"
[[ $(T display-message -p -t bob '#{alternate_on}') == 0 ]] || fail "bob's terminal stayed on the alternate screen"
pass "/quit restores the terminal"

# A later run asks the passphrase, survives a wrong one, and opens the last conversation.
T kill-session -t bob
ask_passphrase=SOTTO_ASK=1 client bob bob screen-256color
wait_for bob 'Unlock the profile of bob' || fail "no passphrase prompt on a later run"
T send-keys -t bob -l 'wrong guess'
T send-keys -t bob Enter
wait_for bob 'wrong passphrase - try again' || fail "a wrong passphrase is not reported"
screen bob | grep -q 'wrong guess' && fail "the passphrase was echoed"
T send-keys -t bob -l 'pw-bob'
T send-keys -t bob Enter
wait_for bob '\[1 alice\]' || fail "the right passphrase did not open the last conversation"
wait_for bob "bob +$line" || fail "the last conversation's history is not shown"
T send-keys -t bob '/quit' Enter
wait_for bob '^EXITED 0' || fail "bob's second /quit did not exit 0"
pass "a later run: passphrase prompt, wrong passphrase retried, straight into the last conversation"

# Monochrome: TERM=vt100. carol's first message is a message request that alice has not seen,
# so alice's terminal rings the bell (tmux flags the window); nothing rang before.
[[ $(T display-message -p -t alice '#{window_bell_flag}') == 0 ]] || fail "alice's terminal rang without a new message elsewhere"
client carol carol vt100 --relay-fingerprint "$fingerprint"
wait_for carol '\+-sotto--carol@' || fail "no screen with TERM=vt100"
T send-keys -t carol '/msg alice hi from vt100' Enter
wait_for carol 'carol +hi from vt100' || fail "carol's message is not shown on vt100"
wait_for alice 'carol' || fail "alice does not see carol"
for _ in $(seq 100); do [[ $(T display-message -p -t alice '#{window_bell_flag}') == 1 ]] && break; sleep 0.05; done
[[ $(T display-message -p -t alice '#{window_bell_flag}') == 1 ]] || fail "no bell for carol's message request"
pass "a new message request rings the bell"
T send-keys -t carol '/help' Enter
wait_for carol 'help - Esc closes' || fail "no /help overlay on vt100"
T send-keys -t carol Escape
wait_for carol 'carol +hi from vt100' || fail "Esc did not close the /help overlay"
T send-keys -t carol C-c
wait_for carol '^EXITED 0' || fail "carol did not quit on Ctrl+C"
[[ $(T display-message -p -t carol '#{alternate_on}') == 0 ]] || fail "Ctrl+C left the alternate screen on"
pass "TERM=vt100 works; Ctrl+C quits and restores the terminal"

# Scrollback pages come from the store: 300 messages from a headless dave, PgUp to the first.
out=$work/dave.out
: >"$out"
(for i in $(seq 0 299); do echo "{\"cmd\":\"send\",\"to\":\"alice\",\"text\":\"page msg $i\"}"; done
 for _ in $(seq 300); do (($(grep -c '"status":"sent"' "$out") >= 300)) && break; sleep 0.1; done) |
  SOTTO_PASSPHRASE=pw-dave SOTTO_INSECURE_TEST_KDF=1 "$sotto" --batch --profile "$work/dave" --relay "$relay" \
    --user dave --relay-fingerprint "$fingerprint" >>"$out" 2>"$work/dave.err"
(($(grep -c '"status":"sent"' "$out") >= 300)) || fail "dave could not send his 300 messages"
wait_for alice '/accept dave' || fail "alice is not told about dave's request"
T send-keys -t alice '/accept dave' Enter
wait_for alice 'dave +page msg 299' || fail "dave's newest message is not shown"
for _ in $(seq 20); do T send-keys -t alice PPage; done
wait_for alice 'dave +page msg 0 ' || fail "PgUp did not page back to dave's first message"
for _ in $(seq 20); do T send-keys -t alice NPage; done
wait_for alice 'dave +page msg 299' || fail "PgDn did not come back to dave's newest message"
pass "PgUp pages the history back from the store, PgDn forward"

# The mouse wheel pages too: X10 mouse reports (TERM=screen-256color), button 4 up, 5 down.
wheel() { T send-keys -t alice -H 1b 5b 4d "$1" 2a 2a; }
for _ in $(seq 20); do wheel 60; done
wait_for alice 'dave +page msg 0 ' || fail "the mouse wheel did not page back to dave's first message"
for _ in $(seq 20); do wheel 61; done
wait_for alice 'dave +page msg 299' || fail "the mouse wheel did not page forward again"
pass "the mouse wheel pages the history"

# Ctrl+L redraws: bytes written behind the UI's back onto its terminal are gone after it.
printf '\033[5;5HGARBAGE-ON-SCREEN' >"$(T display-message -p -t alice '#{pane_tty}')"
wait_for alice 'GARBAGE-ON-SCREEN' || fail "could not write onto alice's terminal"
T send-keys -t alice C-l
for _ in $(seq 100); do screen alice | grep -q 'GARBAGE-ON-SCREEN' || break; sleep 0.05; done
screen alice | grep -q 'GARBAGE-ON-SCREEN' && fail "Ctrl+L did not redraw the screen"
wait_for alice 'dave +page msg 299' || fail "content lost after Ctrl+L"
pass "Ctrl+L redraws the whole screen"

# Groups: alice creates #team with bob (a TUI) and erin (a --batch client that forges a change).
# wait_file FILE REGEX [SECONDS]: polls a file until a line matches.
wait_file() {
  local file=$1 pattern=$2 limit=${3:-10} deadline
  deadline=$(($(date +%s%N) + limit * 1000000000))
  while (($(date +%s%N) < deadline)); do
    grep -Eq -- "$pattern" "$file" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}
T kill-session -t bob
client bob bob screen-256color
wait_for bob '\[1 alice\]' || fail "bob's third run did not open"
mkfifo "$work/erin.in"
exec {erin_in}<>"$work/erin.in"
SOTTO_TEST_GROUP_FORGERY=unauthorized SOTTO_TEST_RESEND_MS=400 SOTTO_PASSPHRASE=pw-erin \
  SOTTO_INSECURE_TEST_KDF=1 "$sotto" --batch --profile "$work/erin" --relay "$relay" --user erin \
  --relay-fingerprint "$fingerprint" <"$work/erin.in" >"$work/erin.out" 2>"$work/erin.err" &
erin_pid=$!
wait_file "$work/erin.out" '"state":"connected"' || fail "erin did not connect: $(cat "$work/erin.err")"

T send-keys -t alice '/invite bob' Enter
wait_for alice '/invite works in a group tab' || fail "/invite outside a group gives no error"
T send-keys -t alice '/group create team bob erin' Enter
wait_for alice '\[4 #team\]' || fail "alice has no #team tab"
wait_for alice '-!- +alice created team with bob and erin' || fail "no creation line for alice"
wait_for alice '#team: 3 members, secure with' || fail "alice's status line is not the group's"
wait_for alice '^\|# team ' || fail "the contacts pane does not list #team"
wait_for bob '\[2 #team\*\]' || fail "bob has no unread #team tab"
pass "/group create opens #team; bob gets the tab"

T send-keys -t alice 'hello team' Enter
wait_for alice 'alice +hello team' || fail "alice's group message is not in her pane"
T send-keys -t bob M-2
wait_for bob 'alice +hello team' || fail "alice's group message did not reach bob"
wait_for bob '-!- +alice created team with bob and erin' || fail "no creation line for bob"
wait_file "$work/erin.out" '"text":"hello team"' 30 || fail "alice's group message did not reach erin"
group=$(sed -n 's/.*"event":"group".*"group":"\([0-9a-f]\{32\}\)".*/\1/p; s/.*"group":"\([0-9a-f]\{32\}\)".*"event":"group".*/\1/p' \
  "$work/erin.out" | head -1)
[[ -n "$group" ]] || fail "erin has no group event: $(cat "$work/erin.out")"
echo "{\"cmd\":\"send\",\"group\":\"$group\",\"text\":\"hi from erin\"}" >&"$erin_in"
wait_for alice 'erin +hi from erin' || fail "erin's group message did not reach alice"
wait_for bob 'erin +hi from erin' || fail "erin's group message did not reach bob"
T send-keys -t bob 'hi from bob' Enter
wait_for alice 'bob +hi from bob' || fail "bob's group message did not reach alice"
pass "group messages cross with the sender's name on each line"

wait_for alice '#team: 3 members, secure with all 2' 20 || fail "alice's group status never says secure"
T send-keys -t alice '/members' Enter
wait_for alice '#team: 3 members \(Esc closes\)' || fail "no /members overlay"
wait_for alice 'alice +admin, you' || fail "/members does not mark alice as the admin"
wait_for alice 'bob +secure - not verified, online' || fail "/members does not show bob's session"
wait_for alice 'erin +secure - not verified, online' || fail "/members does not show erin's session"
T send-keys -t alice Escape
wait_for alice 'bob +hi from bob' || fail "Esc did not close the /members overlay"
T send-keys -t alice C-p
wait_for alice 'secure - not verified \(/verify dave\)' || fail "Ctrl+P did not leave #team"
T send-keys -t alice C-n
wait_for alice '#team: 3 members' || fail "Ctrl+N did not come back to #team"
pass "/members lists admin and sessions; Ctrl+N/P reach the group tab"

echo "{\"cmd\":\"group_remove\",\"group\":\"$group\",\"members\":[\"bob\"]}" >&"$erin_in"
wait_for alice '-!- +erin tried to remove' || fail "alice shows no refused change"
wait_for bob '-!- +erin tried to remove' || fail "bob shows no refused change"
screen bob | grep -q -- '-!- +alice removed bob' && fail "the forged removal was applied"
T send-keys -t alice '/rename crew' Enter
wait_for alice '\[4 #crew\]' || fail "/rename did not rename the tab"
wait_for bob '-!- +alice renamed the group to crew' || fail "bob sees no rename line"
T send-keys -t bob '/remove erin' Enter
wait_for bob 'only an admin of .crew. can remove' || fail "bob's /remove as a member gives no error"
T send-keys -t bob '/leave' Enter
wait_for alice '-!- +bob left' || fail "alice sees no leave line"
wait_for bob '#crew: you are no longer a member' || fail "bob's status line does not say he left"
pass "refused and accepted membership changes show as system lines; /rename, /leave"
T send-keys -t alice '/close' Enter
wait_for alice '\[3 dave\] +\|' || fail "/close did not close the #crew tab"
T send-keys -t alice '/msg #cr' Tab
wait_for alice '> /msg #crew +\|' || fail "Tab does not complete #crew"
T send-keys -t alice 'back again' Enter
wait_for alice '\[4 #crew\]' || fail "/msg #crew did not reopen the tab"
wait_for alice 'alice +back again' || fail "/msg #crew TEXT did not send to the group"
wait_file "$work/erin.out" '"text":"back again"' 20 || fail "erin did not get the reopened tab's message"
pass "/close and /msg #crew (Tab-completed) reopen a group tab and send to it"
T send-keys -t bob '/quit' Enter
wait_for bob '^EXITED 0' || fail "bob's third /quit did not exit 0"
kill "$erin_pid" 2>/dev/null && wait "$erin_pid" 2>/dev/null
erin_pid=""

# SIGTERM restores the terminal too.
alice_pid=$(pgrep -P "$(T display-message -p -t alice '#{pane_pid}')" -f "$sotto" | head -1)
[[ -n "$alice_pid" ]] && kill -TERM "$alice_pid"
wait_for alice '^EXITED 0' || fail "alice did not exit 0 on SIGTERM"
[[ $(T display-message -p -t alice '#{alternate_on}') == 0 ]] || fail "SIGTERM left the alternate screen on"
pass "SIGTERM restores the terminal"

echo "all tmux scenarios passed"
