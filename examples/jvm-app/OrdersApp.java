// The adapter example's JVM: a tiny "order service" that registers one MBean and updates it,
// so the metrics adapter has live JMX attributes to turn into Prometheus series.
// Run with the JMX remote options the example pod passes (port, no auth, loopback).

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.ObjectName;

public final class OrdersApp {
  public interface OrdersMBean {
    long getProcessed();
    int getQueueDepth();
    double getAverageLatencyMillis();
  }

  public static final class Orders implements OrdersMBean {
    final AtomicLong processed = new AtomicLong();
    volatile int queueDepth;
    volatile double averageLatencyMillis;

    @Override public long getProcessed() { return processed.get(); }
    @Override public int getQueueDepth() { return queueDepth; }
    @Override public double getAverageLatencyMillis() { return averageLatencyMillis; }
  }

  public static void main(String[] args) throws Exception {
    Orders orders = new Orders();
    ManagementFactory.getPlatformMBeanServer()
        .registerMBean(orders, new ObjectName("com.example.shop:type=Orders,name=checkout"));
    System.out.println("{\"level\":\"info\",\"msg\":\"orders app started\",\"mbean\":\"com.example.shop:type=Orders,name=checkout\"}");
    long tick = 0;
    while (true) {
      Thread.sleep(1000);
      tick++;
      orders.processed.addAndGet(1 + (tick % 3));
      orders.queueDepth = (int) (tick % 7);
      orders.averageLatencyMillis = 10 + (tick % 5) * 2.5;
    }
  }
}
