//! Classification (and classification + routing) throughput on realistic ~200-character requests with the shipped rules.
//! Target: ≥ 50,000 requests/s on one core (≤ 20 µs each).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hotline::classify::normalize::normalize;
use hotline::classify::{Classifier, ClassifyInput};

const REQUESTS: &[(&str, &str)] = &[
    (
        "小区物业乱收停车费",
        "我是锦绣花园小区的业主，物业公司从上个月开始对地下车库每个车位每月加收200元管理费，没有召开业主大会，也没有公示收费依据。业主多次找物业沟通，物业态度恶劣，说不交就不让车进小区。请有关部门核实物业收费是否合规，督促物业退还多收的费用，给业主一个说法。",
    ),
    (
        "建筑工地夜间施工噪音扰民",
        "幸福路与建设路交叉口东北角的建筑工地，最近一个月每天晚上十一点以后还在施工，打桩机和渣土车的声音特别大，周边几个小区的居民根本睡不着觉，家里有老人和正在备考的孩子。打过电话给工地，他们说有夜间施工许可，但一直没看到公示。请环保和城管部门去现场查处，保障居民休息。",
    ),
    (
        "公司拖欠三个月工资不发",
        "我在开发区一家电子厂上班，公司从今年三月开始以资金困难为由拖欠全体员工工资，到现在已经三个月了，一共欠我一万二千多元。我们去找老板，老板避而不见，人事说再等等。我不是要打官司，只想问问工资怎么要回来，劳动监察能不能帮我们讨薪？家里还有孩子要上学，实在等不起了。",
    ),
    (
        "詢問孩子入學劃片問題",
        "您好，我家孩子今年九月要上小學，我們家房產證在城東區，但戶口還在老家，請問這種情況能不能在城東區入學？需要準備哪些材料，什麼時候報名？學區劃片是按房產還是按戶口？另外聽說還要居住證滿一年，是否屬實？麻煩給個準確答覆，謝謝。",
    ),
    (
        "餐馆油烟直排影响居民生活",
        "我家楼下新开了一家烧烤店，没有安装油烟净化设备，油烟直接从后厨窗户排到小区里，每天从下午四点一直排到凌晨，家里窗户都不敢开，衣服也没法晒，老人咳嗽加重。找过店老板，他说证照齐全不归我们管。请市场监管和环保部门查一下这家店的环评和经营许可，督促整改。",
    ),
];

fn classify(c: &mut Criterion) {
    let classifier = Classifier::built_in();
    let inputs: Vec<ClassifyInput> = REQUESTS
        .iter()
        .map(|(title, description)| ClassifyInput { title, description })
        .collect();
    let mut group = c.benchmark_group("classify");
    group.throughput(Throughput::Elements(inputs.len() as u64));
    group.bench_function("five_requests", |b| {
        b.iter(|| {
            for input in &inputs {
                black_box(classifier.classify(black_box(input)));
            }
        })
    });
    // The share of normalisation (traditional → simplified, width, case) in the above.
    group.bench_function("five_requests_normalise_only", |b| {
        b.iter(|| {
            for (title, description) in REQUESTS {
                black_box(normalize(black_box(title)));
                black_box(normalize(black_box(description)));
            }
        })
    });
    group.finish();
}

/// The whole intake decision as CreateTicket makes it: classify, then route with a street
/// region (the costlier path: street, district copy, explanation).
fn classify_and_route(c: &mut Criterion) {
    let rules = hotline::config::load_rule_set(&Default::default()).expect("the shipped rules");
    let mut group = c.benchmark_group("triage");
    group.throughput(Throughput::Elements(REQUESTS.len() as u64));
    group.bench_function("five_requests", |b| {
        b.iter(|| {
            for (title, description) in REQUESTS {
                let request = hotline::triage::Request {
                    title,
                    description,
                    line: "12345",
                    region: "320102001",
                };
                black_box(hotline::triage::triage(&rules, black_box(&request)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, classify, classify_and_route);
criterion_main!(benches);
