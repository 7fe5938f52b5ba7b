// The live order page: the orders from GET /orders, kept current by the
// feed at /ws. No framework: one Map of rows, each updated in place.
"use strict";

const STATUSES = ["PENDING", "EXECUTED", "CANCELLED"];
// Milliseconds before each reconnection try; the last one repeats.
const RETRY_DELAYS = [250, 500, 1000, 2000];

const rows = new Map(); // orderId -> {order, row}
const counts = {PENDING: 0, EXECUTED: 0, CANCELLED: 0};
let feed = null; // the current WebSocket
let sequenced = false; // the server numbers its events (the `sequence` extension)
let lastSeq = null; // with `sequence`: the seq of the latest event shown
let attempt = 0; // failed connection tries since the feed was last live

const $ = (id) => document.getElementById(id);

async function call(method, path, body) {
  const response = await fetch(new URL(path, location.href), {
    method,
    headers: body === undefined ? {} : {"Content-Type": "application/json"},
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null};
}

function feedUrl(since) {
  const url = new URL("ws", location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  if (since !== null) url.searchParams.set("since", since);
  return url;
}

// -- Connection ------------------------------------------------------------

// Without `sequence`, the feed is opened first and the list loaded once it
// is open; events that arrive meanwhile are applied after the list (a final
// status is never undone, so the order of the two does not matter).
// With `sequence`, the list comes first and the feed replays everything
// after its Feed-Seq; a reconnection resumes after the last seq shown.
async function connect() {
  try {
    const health = await call("GET", "health");
    sequenced = (health.body.extensions || []).includes("sequence");
    if (sequenced && lastSeq === null) await loadOrders();
  } catch (problem) {
    return retryLater();
  }
  if (!sequenced) lastSeq = null;
  const socket = new WebSocket(feedUrl(lastSeq));
  let early = sequenced ? null : [];
  feed = socket;
  socket.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (early) early.push(event);
    else receive(event);
  };
  socket.onopen = async () => {
    if (early) {
      try {
        await loadOrders();
      } catch (problem) {
        socket.close();
        return;
      }
      if (feed !== socket) return; // it closed meanwhile: a new try is under way
      early.forEach(receive);
      early = null;
    }
    attempt = 0;
    showConnection("live", "Live");
  };
  socket.onclose = () => {
    if (feed === socket) retryLater();
  };
}

function retryLater() {
  feed = null;
  const delay = RETRY_DELAYS[Math.min(attempt, RETRY_DELAYS.length - 1)];
  attempt += 1;
  showConnection("reconnecting", `Reconnecting… (try ${attempt})`);
  setTimeout(connect, delay);
}

function receive(event) {
  if (sequenced) {
    if (event.seq !== lastSeq + 1) {
      // A gap (events no longer retained) or a count that started again
      // (the server restarted): start again from the list.
      lastSeq = null;
      feed.close();
      return;
    }
    lastSeq = event.seq;
  }
  show({
    orderId: event.orderId,
    stocks: event.stocks,
    quantity: event.quantity,
    orderStatus: event.orderStatus,
    createdAt: event.orderStatus === "PENDING" ? event.timestamp : null,
    updatedAt: event.timestamp,
  });
}

async function loadOrders() {
  const reply = await call("GET", "orders");
  if (reply.status !== 200) throw new Error(`GET /orders answered ${reply.status}`);
  if (sequenced) lastSeq = Number(reply.headers.get("Feed-Seq"));
  rows.clear();
  STATUSES.forEach((status) => (counts[status] = 0));
  $("orders").replaceChildren();
  reply.body.forEach((order) => show(order, false));
  showCounts();
}

function showConnection(state, text) {
  document.body.dataset.connection = state;
  $("connection").textContent = text;
}

// -- The blotter -----------------------------------------------------------

// Shows an order or a change of its status; a final status is never undone.
function show(order, highlight = true) {
  const known = rows.get(order.orderId);
  if (known && (known.order.orderStatus !== "PENDING" || order.orderStatus === "PENDING")) return;
  if (known) {
    counts[known.order.orderStatus] -= 1;
    known.order = {...known.order, orderStatus: order.orderStatus, updatedAt: order.updatedAt};
    render(known);
  } else {
    const entry = {order, row: document.createElement("tr")};
    rows.set(order.orderId, entry);
    render(entry);
    $("orders").prepend(entry.row);
  }
  counts[order.orderStatus] += 1;
  if (highlight) {
    // A brief flash, in a colour no status uses, marks what just changed.
    rows.get(order.orderId).row.animate([{backgroundColor: "#dbeafe"}, {}], {duration: 800});
    showCounts();
  }
}

function render({order, row}) {
  const status = order.orderStatus.toLowerCase();
  row.className = status;
  row.dataset.orderId = order.orderId;
  row.dataset.status = order.orderStatus;
  const took = order.orderStatus !== "PENDING" && order.createdAt
    ? `after ${((Date.parse(order.updatedAt) - Date.parse(order.createdAt)) / 1000).toFixed(2)} s`
    : "";
  row.replaceChildren(
    cell("time", order.createdAt ? order.createdAt.slice(11, 23) : "–"),
    cell("id", order.orderId.slice(0, 8), order.orderId),
    cell("stocks", order.stocks),
    cell("number", Number(order.quantity).toLocaleString("en-US", {maximumFractionDigits: 8})),
    statusCell(order.orderStatus, took),
    actionCell(order),
  );
}

function cell(className, text, title) {
  const td = document.createElement("td");
  td.className = className;
  td.textContent = text;
  if (title) td.title = title;
  return td;
}

function statusCell(status, took) {
  const td = cell("status", "");
  const badge = document.createElement("span");
  badge.className = "badge";
  badge.textContent = status;
  td.append(badge, took ? ` ${took}` : "");
  return td;
}

function actionCell(order) {
  const td = cell("action", "");
  if (order.orderStatus === "PENDING") {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Cancel";
    button.addEventListener("click", () => cancel(order.orderId, button));
    td.append(button);
  }
  return td;
}

function showCounts() {
  $("count-pending").textContent = counts.PENDING;
  $("count-executed").textContent = counts.EXECUTED;
  $("count-cancelled").textContent = counts.CANCELLED;
  $("count-total").textContent = rows.size;
  $("no-orders").hidden = rows.size > 0;
}

// -- Actions ---------------------------------------------------------------

function say(text, isError = false) {
  $("message").textContent = text;
  $("message").className = isError ? "error" : "";
}

async function place(event) {
  event.preventDefault();
  const form = event.target;
  const button = form.querySelector("button");
  button.disabled = true;
  button.textContent = "Placing…";
  try {
    const reply = await call("POST", "orders", {
      stocks: form.stocks.value,
      quantity: Number(form.quantity.value),
    });
    if (reply.status === 201) {
      show(reply.body);
      say(`Placed ${reply.body.quantity} ${reply.body.stocks} (order ${reply.body.orderId.slice(0, 8)})`);
    } else {
      say(`Not placed: ${reply.body.message}`, true);
    }
  } catch (problem) {
    say(`Not placed: ${problem.message}`, true);
  } finally {
    button.disabled = false;
    button.textContent = "Place order";
  }
}

async function cancel(orderId, button) {
  button.disabled = true;
  button.textContent = "Cancelling…";
  try {
    const reply = await call("DELETE", `orders/${encodeURIComponent(orderId)}`);
    if (reply.status === 204) {
      // The row changes when the feed reports the cancellation, as for any client.
      say(`Cancelled order ${orderId.slice(0, 8)}`);
      return;
    }
    say(`Not cancelled: ${reply.body.message}`, true);
  } catch (problem) {
    say(`Not cancelled: ${problem.message}`, true);
  }
  button.disabled = false;
  button.textContent = "Cancel";
}

$("place").addEventListener("submit", place);
connect();
