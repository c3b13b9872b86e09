<?php
return [
    'backend' => ['frontName' => 'admin_x1'],
    'session' => [
        'save' => 'redis',
        'redis' => [
            'host' => 'sessions.cache.internal', // expect: PHI-CONFIG-001
            'port' => '6379',
        ],
    ],
    'cache' => [
        'frontend' => [
            'default' => [
                'backend' => 'Magento\\Framework\\Cache\\Backend\\Redis',
                'backend_options' => ['server' => 'tls://cache.internal', 'port' => '6380'],
            ],
            'page_cache' => [
                'backend' => 'Magento\\Framework\\Cache\\Backend\\Redis',
                'backend_options' => ['server' => '127.0.0.1', 'port' => '6379'],
            ],
        ],
    ],
    'system' => [
        'default' => [
            'catalog' => [
                'search' => [
                    'engine' => 'opensearch',
                    'opensearch_server_hostname' => 'search.internal', // expect: PHI-CONFIG-002
                    'opensearch_server_port' => '9200',
                ],
            ],
        ],
    ],
];
