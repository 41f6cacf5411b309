// Child processes for the Node tests (redis-server, the supportd binary): a free port, a start
// that waits for the line saying it is ready, and one stop for them all.
import { spawn } from "node:child_process";
import net from "node:net";

const children = [];
let stopping = false;

export function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Resolves with the match of `readyLine` in the child's output; rejects when it exits first or
// takes longer than 10 s.
export function start(command, args, readyLine) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`${command} did not start:\n${output}`)), 10000);
    const onData = (data) => {
      output += data;
      const match = output.match(readyLine);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code, signal) => {
      const error = new Error(`${command} exited (${code ?? signal}):\n${output.slice(-4000)}`);
      reject(error);
      // After start-up, an exit nobody asked for explains the failures that follow it.
      if (!stopping) process.stderr.write(`${error.message}\n`);
    });
  });
}

export function stopAll() {
  stopping = true;
  for (const child of children) child.kill("SIGTERM");
}
