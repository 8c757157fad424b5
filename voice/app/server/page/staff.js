// The staff page: the day's bookings (live), free tables, calls that need a person; add, change, cancel.
const $ = (selector) => document.querySelector(selector);
const params = new URLSearchParams(location.search);
const scheme = location.protocol === "https:" ? "wss:" : "ws:";
const token = params.get("token") ? `?token=${encodeURIComponent(params.get("token"))}` : "";
const socket = new WebSocket(`${scheme}//${location.host}${location.pathname.replace(/\/?$/, "")}/ws${token}`);  // /staff/ws, /r/ID/staff/ws
let shown = null;  // the day on screen, as the server last sent it

function send(request) {
  socket.send(JSON.stringify(request));
}

function cell(row, text) {
  const td = row.insertCell();
  td.textContent = text;
  return td;
}

function showBookings(day) {
  const body = $("#bookings tbody");
  body.replaceChildren();
  for (const booking of day.bookings) {
    const row = body.insertRow();
    row.dataset.id = booking.id;
    row.className = [booking.status, booking.flag ? "flagged" : ""].join(" ");
    for (const text of [booking.at, booking.party_size, booking.name, booking.phone, booking.notes.join(", "), booking.made_via]) {
      cell(row, text);
    }
    const actions = cell(row, "");
    if (booking.status === "booked") {
      actions.append(button("Change", () => edit(booking)), button("Cancel", () => send({type: "cancel", id: booking.id})));
    }
    if (booking.flag) row.title = booking.flag;
  }
}

function button(text, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = text;
  element.addEventListener("click", onClick);
  return element;
}

function showSlots(day) {
  $("#slots").replaceChildren(...day.slots.map((slot) => {
    const item = document.createElement("li");
    item.textContent = `${slot.at} · ${slot.free}`;
    item.className = slot.free > 0 ? "" : "full";
    item.title = `${slot.free} tables free`;
    return item;
  }));
}

function showAttention(day) {
  $("#attention").replaceChildren(...day.attention.map((item) => {
    const line = document.createElement("li");
    const who = item.booking ? `booking at ${item.at} (${item.name})` : `${item.started.slice(11, 16)} ${item.name || item.phone || "unknown caller"} (${item.via})`;
    line.textContent = `${who}: ${item.reason}`;
    if (item.call) line.append(button("Transcript", () => send({type: "transcript", call: item.call})));
    return line;
  }));
}

function showTranscript(reply) {
  $("#transcript").hidden = false;
  $("#transcript ol").replaceChildren(...reply.turns.map((turn) => {
    const line = document.createElement("li");
    line.textContent = `${turn.role}: ${turn.text}${turn.interrupted ? " (interrupted)" : ""}`;
    return line;
  }));
}

function edit(booking) {
  const form = $("#booking");
  for (const name of ["id", "at", "party_size", "name", "phone"]) form.elements[name].value = booking[name];
  form.elements.notes.value = booking.notes.join(", ");
  $("#form-title").textContent = `Change booking ${booking.id}`;
}

function clearForm() {
  $("#booking").reset();
  $("#booking").elements.id.value = "";
  $("#form-title").textContent = "Add a booking";
}

function say(text, refused) {
  $("#message").textContent = text;
  $("#message").className = refused ? "refused" : "";
}

$("#booking").addEventListener("submit", (event) => {
  event.preventDefault();
  const fields = Object.fromEntries(new FormData(event.target));
  const booking = {...fields, day: $("#day").value};
  send(fields.id ? {type: "change", id: Number(fields.id), booking} : {type: "book", booking});
});
$("#new").addEventListener("click", clearForm);
$("#day").addEventListener("change", () => send({type: "show", day: $("#day").value}));

socket.addEventListener("open", () => { $("#connection").textContent = "live"; $("#connection").dataset.state = "open"; });
socket.addEventListener("close", () => { $("#connection").textContent = "disconnected"; $("#connection").dataset.state = "closed"; });
socket.addEventListener("message", (event) => {
  const reply = JSON.parse(event.data);
  if (reply.type === "day") {
    shown = reply;
    $("#restaurant").textContent = `${reply.restaurant}: bookings`;
    $("#day").value = reply.day;
    showBookings(reply);
    showSlots(reply);
    showAttention(reply);
  } else if (reply.type === "done") {
    say(reply.message, false);
    clearForm();
    send({type: "show", day: shown ? shown.day : $("#day").value});  // our own write: the watcher sees only others'
  } else if (reply.type === "refused") {
    say(reply.reason, true);
  } else if (reply.type === "transcript") {
    showTranscript(reply);
  }
});
