// Starts a real JVM with a custom MBean (Java source compiled with javac at test time) and a
// JMX remote port on loopback; resolves once the MBean is registered.

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { run } from './adapter.js'

export const JAVA_HOME = process.env.JAVA_HOME ?? (existsSync('/usr/lib/jvm/default-java') ? '/usr/lib/jvm/default-java' : '/usr/lib/jvm/java-17-openjdk-amd64')
export const JAVAC = join(JAVA_HOME, 'bin', 'javac')
export const JAVA = join(JAVA_HOME, 'bin', 'java')
export const HAVE_JDK = existsSync(JAVAC) && existsSync(JAVA)

const SOURCE = `
import java.lang.management.ManagementFactory;
import javax.management.ObjectName;
import javax.management.openmbean.*;

public class QueueApp {
  public interface QueueMBean {
    long getDepth();
    double getBytesIn();
    boolean isHealthy();
    String getOwner();
    TabularData getConsumers();
    TabularData getLimits();
  }
  public static class Queue implements QueueMBean {
    private final long depth; private final double bytes;
    Queue(long depth, double bytes) { this.depth = depth; this.bytes = bytes; }
    public long getDepth() { return depth; }
    public double getBytesIn() { return bytes; }
    public boolean isHealthy() { return true; }
    public String getOwner() { return "team-a"; }
    // A table indexed by client with two value columns, as JMX exposes per-key statistics.
    public TabularData getConsumers() {
      try {
        CompositeType row = new CompositeType("Consumer", "consumer", new String[] { "client", "lag", "rate" }, new String[] { "client", "lag", "rate" }, new OpenType<?>[] { SimpleType.STRING, SimpleType.LONG, SimpleType.DOUBLE });
        TabularDataSupport t = new TabularDataSupport(new TabularType("Consumers", "per consumer", row, new String[] { "client" }));
        t.put(new CompositeDataSupport(row, new String[] { "client", "lag", "rate" }, new Object[] { "c1", depth + 1, 1.5 }));
        t.put(new CompositeDataSupport(row, new String[] { "client", "lag", "rate" }, new Object[] { "c2", depth + 2, 2.5 }));
        return t;
      } catch (OpenDataException e) { throw new RuntimeException(e); }
    }
    // A key/value table: the value column keeps the attribute's name.
    public TabularData getLimits() {
      try {
        CompositeType row = new CompositeType("Limit", "limit", new String[] { "key", "value" }, new String[] { "key", "value" }, new OpenType<?>[] { SimpleType.STRING, SimpleType.LONG });
        TabularDataSupport t = new TabularDataSupport(new TabularType("Limits", "limits", row, new String[] { "key" }));
        t.put(new CompositeDataSupport(row, new String[] { "key", "value" }, new Object[] { "max", 100L }));
        return t;
      } catch (OpenDataException e) { throw new RuntimeException(e); }
    }
  }
  public static void main(String[] args) throws Exception {
    javax.management.MBeanServer s = ManagementFactory.getPlatformMBeanServer();
    s.registerMBean(new Queue(42, 2048.0), new ObjectName("com.example:type=Queue,name=orders"));
    s.registerMBean(new Queue(7, 512.0), new ObjectName("com.example:type=Queue,name=billing"));
    s.registerMBean(new Queue(1, 1.0), new ObjectName("com.example:type=Hidden,name=secret"));
    // Exit when the test's end of stdin closes, so a crashed test leaves no JVM behind.
    Thread watchdog = new Thread(() -> {
      try { while (System.in.read() != -1) { } } catch (java.io.IOException e) { }
      System.exit(0);
    });
    watchdog.setDaemon(true);
    watchdog.start();
    System.out.println("ready");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
`

async function freePort (): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((resolve) => { srv.listen(0, '127.0.0.1', resolve) })
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => { srv.close(() => { resolve() }) })
  return port
}

export interface Jvm { port: number, child: ChildProcess, stop: () => Promise<void> }

export async function startJvm (dir: string): Promise<Jvm> {
  const src = join(dir, 'QueueApp.java')
  writeFileSync(src, SOURCE)
  const c = await run(JAVAC, ['-d', dir, src])
  if (c.code !== 0) throw new Error(`javac failed: ${c.stderr}`)
  const port = await freePort()
  const child = spawn(JAVA, [
    '-Xmx64m',
    `-Dcom.sun.management.jmxremote.port=${port}`,
    `-Dcom.sun.management.jmxremote.rmi.port=${port}`,
    '-Dcom.sun.management.jmxremote.host=127.0.0.1',
    '-Djava.rmi.server.hostname=127.0.0.1',
    '-Dcom.sun.management.jmxremote.authenticate=false',
    '-Dcom.sun.management.jmxremote.ssl=false',
    '-cp', dir, 'QueueApp'
  ], { stdio: ['pipe', 'pipe', 'pipe'] })
  let err = ''
  child.stderr?.on('data', (d: Buffer) => { err += d.toString() })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`JVM did not start: ${err}`)) }, 30_000)
    child.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('ready')) { clearTimeout(timer); resolve() } })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`JVM exited ${code}: ${err}`)) })
  })
  return {
    port,
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    }
  }
}
